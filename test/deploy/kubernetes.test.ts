import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { parseConfig } from "@/lib/config";
import { configEnvNames, DEPLOY, exists, readYamlDocs, run } from "./helpers";

const K8S = join(DEPLOY, "kubernetes");

/** Read by something other than lib/config.ts, with the reason. */
const NON_CONFIG_ENV: Record<string, string> = { HOSTNAME: "the address Next's standalone server.js binds to" };

const envVarSchema = z.object({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .object({ secretKeyRef: z.object({ name: z.string(), key: z.string(), optional: z.boolean().optional() }) })
    .optional(),
});
const probeSchema = z.object({ httpGet: z.object({ path: z.string(), port: z.union([z.string(), z.number()]) }) });
const hardenedSchema = z.object({
  runAsNonRoot: z.literal(true),
  runAsUser: z.number().min(1),
  allowPrivilegeEscalation: z.literal(false),
  readOnlyRootFilesystem: z.literal(true),
  capabilities: z.object({ drop: z.array(z.string()) }),
  seccompProfile: z.object({ type: z.literal("RuntimeDefault") }),
});
const containerSchema = z.object({
  name: z.string(),
  image: z.string(),
  env: z.array(envVarSchema).optional(),
  ports: z.array(z.object({ name: z.string(), containerPort: z.number(), protocol: z.string().optional() })).optional(),
  resources: z.object({
    requests: z.object({ cpu: z.string(), memory: z.string() }),
    limits: z.object({ cpu: z.string(), memory: z.string() }),
  }),
  securityContext: hardenedSchema,
  livenessProbe: probeSchema.optional(),
  readinessProbe: probeSchema.optional(),
  volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string() })).optional(),
});
const deploymentSchema = z.object({
  kind: z.literal("Deployment"),
  metadata: z.object({ name: z.string(), namespace: z.string() }),
  spec: z.object({
    replicas: z.number(),
    strategy: z.object({ type: z.string() }),
    template: z.object({
      spec: z.object({
        serviceAccountName: z.string(),
        securityContext: z.object({
          runAsNonRoot: z.literal(true),
          runAsUser: z.number(),
          seccompProfile: z.object({ type: z.literal("RuntimeDefault") }),
        }),
        containers: z.array(containerSchema),
        volumes: z.array(
          z.object({
            name: z.string(),
            persistentVolumeClaim: z.object({ claimName: z.string() }).optional(),
            emptyDir: z.object({}).loose().optional(),
          }),
        ),
      }),
    }),
  }),
});
const ruleSchema = z.object({ apiGroups: z.array(z.string()), resources: z.array(z.string()), verbs: z.array(z.string()) });
const roleSchema = z.object({ kind: z.literal("ClusterRole"), metadata: z.object({ name: z.string() }), rules: z.array(ruleSchema) });
const bindingSchema = z.object({
  kind: z.literal("ClusterRoleBinding"),
  roleRef: z.object({ kind: z.string(), name: z.string() }),
  subjects: z.array(z.object({ kind: z.string(), name: z.string(), namespace: z.string() })),
});
const kustomizationSchema = z.object({
  kind: z.enum(["Kustomization", "Component"]),
  namespace: z.string().optional(),
  resources: z.array(z.string()).optional(),
  components: z.array(z.string()).optional(),
  patches: z.array(z.object({ path: z.string() })).optional(),
});
const kindSchema = z.object({ kind: z.string(), metadata: z.object({ name: z.string() }).loose() }).loose();

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

const manifests = yamlFiles(K8S).flatMap((file) => readYamlDocs(file).map((doc) => ({ file: relative(K8S, file), doc })));
const ofKind = (kind: string) => manifests.filter((m) => kindSchema.safeParse(m.doc).data?.kind === kind);
const one = <T>(kind: string, schema: z.ZodType<T>, file?: string): T => {
  const found = ofKind(kind).filter((m) => !file || m.file === file);
  expect(found, `exactly one ${kind}${file ? ` in ${file}` : ""}`).toHaveLength(1);
  return schema.parse(found[0]?.doc);
};

const deployment = one("Deployment", deploymentSchema, "deployment.yaml");
const console_ = deployment.spec.template.spec.containers.find((c) => c.name === "console");
const secretExample = z
  .object({ kind: z.literal("Secret"), metadata: z.object({ name: z.string() }), stringData: z.record(z.string(), z.string()) })
  .parse(readYamlDocs(join(K8S, "secret.example.yaml"))[0]);

const tmp = mkdtempSync(join(tmpdir(), "k8s-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("Kubernetes manifests", () => {
  it("lists only files that exist, and keeps the example Secret out", () => {
    for (const file of yamlFiles(K8S).filter((f) => /kustomization\.ya?ml$/.test(f))) {
      const k = kustomizationSchema.parse(parse(readFileSync(file, "utf8")));
      const dir = join(file, "..");
      for (const p of [...(k.resources ?? []), ...(k.components ?? []), ...(k.patches ?? []).map((x) => x.path)]) {
        expect(exists(join(dir, p)), `${relative(K8S, file)} lists ${p}`).toBe(true);
      }
      expect(k.resources ?? []).not.toContain("secret.example.yaml");
    }
    const base = kustomizationSchema.parse(parse(readFileSync(join(K8S, "kustomization.yaml"), "utf8")));
    expect(base.namespace).toBe("monitoring");
    expect(base.resources).toEqual(expect.arrayContaining(["deployment.yaml", "service.yaml", "serviceaccount.yaml", "rbac.yaml", "pvc.yaml"]));
    // The optional component is offered, commented out, with a path that exists.
    expect(readFileSync(join(K8S, "kustomization.yaml"), "utf8")).toMatch(/^# {3}- optional\/oauth2-proxy$/m);
    expect(Object.values(secretExample.stringData).every((v) => v.startsWith("REPLACE_"))).toBe(true);
  });

  it("grants the console read-only access to exactly pods, pods/log and events", () => {
    const roles = [...ofKind("Role"), ...ofKind("ClusterRole")];
    expect(roles).toHaveLength(1);
    const role = roleSchema.parse(roles[0]?.doc);
    const allowed = new Set<string>();
    for (const r of role.rules) {
      for (const v of r.verbs) expect(["get", "list", "watch"]).toContain(v);
      for (const x of [...r.apiGroups, ...r.resources, ...r.verbs]) expect(x).not.toContain("*");
      for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) allowed.add(`${g}/${res}/${v}`);
    }
    for (const key of allowed) {
      expect(["/pods/", "/pods/log/", "/events/", "events.k8s.io/events/"].some((p) => key.startsWith(p)), key).toBe(true);
    }
    // What lib/cluster calls: readNamespacedPod, readNamespacedPodLog, and both event APIs' list.
    for (const need of ["/pods/get", "/pods/log/get", "/events/list", "events.k8s.io/events/list"]) expect(allowed).toContain(need);
    expect([...allowed].filter((k) => k.startsWith("/pods/log/"))).toEqual(["/pods/log/get"]);

    const binding = one("ClusterRoleBinding", bindingSchema);
    expect(binding.roleRef).toMatchObject({ kind: "ClusterRole", name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: deployment.spec.template.spec.serviceAccountName, namespace: "monitoring" }]);
    expect(ofKind("ServiceAccount").map((m) => kindSchema.parse(m.doc).metadata.name)).toEqual([deployment.spec.template.spec.serviceAccountName]);
  });

  it("runs one hardened, non-root replica with probes, limits and a persistent /data", () => {
    expect(deployment.metadata.namespace).toBe("monitoring");
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe("Recreate");
    expect(deployment.spec.template.spec.securityContext.runAsUser).toBe(10001);
    expect(console_).toBeDefined();
    if (!console_) return;
    expect(console_.securityContext.runAsUser).toBe(10001);
    expect(console_.securityContext.capabilities.drop).toEqual(["ALL"]);
    expect(console_.livenessProbe?.httpGet).toEqual({ path: "/api/health", port: "http" });
    expect(console_.readinessProbe?.httpGet).toEqual({ path: "/api/ready", port: "http" });
    expect(console_.ports).toEqual([
      { name: "http", containerPort: 3000, protocol: "TCP" },
      { name: "webhook", containerPort: 9095, protocol: "TCP" },
    ]);
    // The webhook port is the dedicated listener, on every interface of the pod.
    expect(console_.env?.find((e) => e.name === "WEBHOOK_LISTEN")?.value).toBe("0.0.0.0:9095");

    const mounts = new Map((console_.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
    const volumes = new Map(deployment.spec.template.spec.volumes.map((v) => [v.name, v]));
    const data = volumes.get(mounts.get("/data") ?? "");
    const pvc = one("PersistentVolumeClaim", z.object({ metadata: z.object({ name: z.string() }) }));
    expect(data?.persistentVolumeClaim?.claimName).toBe(pvc.metadata.name);
    expect(volumes.get(mounts.get("/tmp") ?? "")?.emptyDir).toBeDefined();

    const service = one(
      "Service",
      z.object({ spec: z.object({ selector: z.record(z.string(), z.string()), ports: z.array(z.object({ name: z.string(), port: z.number(), targetPort: z.string(), protocol: z.string() })) }) }),
      "service.yaml",
    );
    expect(service.spec.ports).toEqual([
      { name: "http", port: 3000, targetPort: "http", protocol: "TCP" },
      { name: "webhook", port: 9095, targetPort: "webhook", protocol: "TCP" },
    ]);
    expect(service.spec.selector).toEqual({ "app.kubernetes.io/name": "triage-console" });
  });

  it("sets only environment variables lib/config.ts reads, with values it accepts", () => {
    const names = configEnvNames();
    const env = console_?.env ?? [];
    expect(env.length).toBeGreaterThan(5);
    for (const e of env) expect(names.has(e.name) || e.name in NON_CONFIG_ENV, `${e.name} is not read by lib/config.ts`).toBe(true);

    const byName = new Map(env.map((e) => [e.name, e]));
    expect(byName.get("HOST")?.value).toBe("0.0.0.0");
    expect(byName.get("PORT")?.value).toBe("3000");
    expect(byName.get("AUTH_MODE")?.value).toBe("proxy");
    expect(byName.get("DATABASE_URL")?.value).toBe("file:/data/triage.sqlite");
    for (const secret of ["GEMINI_API_KEY", "GITHUB_TOKEN", "WEBHOOK_BEARER_TOKEN", "AUTH_TOKEN"]) {
      const ref = byName.get(secret)?.valueFrom?.secretKeyRef;
      expect(ref, `${secret} comes from a Secret`).toBeDefined();
      expect(ref?.name).toBe(secretExample.metadata.name);
      expect(Object.keys(secretExample.stringData)).toContain(ref?.key);
      expect(byName.get(secret)?.value).toBeUndefined();
    }
    expect(byName.get("WEBHOOK_BEARER_TOKEN")?.valueFrom?.secretKeyRef.optional).not.toBe(true);

    // The manifest's environment, with the example secrets filled in, is a valid configuration.
    const values: Record<string, string> = {};
    for (const e of env) {
      const ref = e.valueFrom?.secretKeyRef;
      const v = e.value ?? (ref ? secretExample.stringData[ref.key] : undefined);
      if (v !== undefined) values[e.name] = v;
    }
    const config = parseConfig(values);
    expect(config.host).toBe("0.0.0.0");
    expect(config.auth).toMatchObject({ mode: "proxy", trustedProxies: ["127.0.0.1", "::1"] });
    expect(config.alertmanagers).toHaveLength(1);
    expect(config.webhook.bearerToken).toBeTruthy();
    expect(config.webhook.listen).toEqual({ host: "0.0.0.0", port: 9095 });
  });

  it("keeps the console's own port behind the proxy in the oauth2-proxy component", () => {
    const ingress = one(
      "Ingress",
      z.object({
        spec: z.object({
          rules: z.array(z.object({ http: z.object({ paths: z.array(z.object({ backend: z.object({ service: z.object({ name: z.string(), port: z.object({ name: z.string() }) }) }) })) }) })),
        }),
      }),
    );
    const backends = ingress.spec.rules.flatMap((r) => r.http.paths.map((p) => p.backend.service));
    expect(backends).toEqual([{ name: "triage-console", port: { name: "auth" } }]);
    const sidecarDoc = readYamlDocs(join(K8S, "optional", "oauth2-proxy", "sidecar.yaml"))[0];
    const sidecar = z
      .object({ spec: z.object({ template: z.object({ spec: z.object({ containers: z.array(containerSchema.extend({ args: z.array(z.string()) })) }) }) }) })
      .parse(sidecarDoc).spec.template.spec.containers[0];
    expect(sidecar?.args).toContain("--upstream=http://127.0.0.1:3000/");
    expect(sidecar?.args.some((a) => a.startsWith("--skip-auth-route"))).toBe(false);
    expect(sidecar?.ports).toEqual([{ name: "auth", containerPort: 4180, protocol: "TCP" }]);
  });

  it.runIf(exists("/usr/bin/kubectl") || exists("/usr/local/bin/kubectl"))("builds with kustomize, with and without the optional component", async () => {
    const base = await run("kubectl", ["kustomize", K8S]);
    expect(base.code, base.stderr).toBe(0);
    const kinds = (text: string) => [...text.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]).sort();
    expect(kinds(base.stdout)).toEqual(["ClusterRole", "ClusterRoleBinding", "Deployment", "PersistentVolumeClaim", "Service", "ServiceAccount"]);
    expect(base.stdout).toContain("image: ghcr.io/acme/triage-console:");

    const copy = join(tmp, "kubernetes");
    cpSync(K8S, copy, { recursive: true });
    const k = readFileSync(join(copy, "kustomization.yaml"), "utf8");
    writeFileSync(join(copy, "kustomization.yaml"), k.replace(/^# components:\n# {3}- optional\/oauth2-proxy$/m, "components:\n  - optional/oauth2-proxy"));
    const withProxy = await run("kubectl", ["kustomize", copy]);
    expect(withProxy.code, withProxy.stderr).toBe(0);
    expect(kinds(withProxy.stdout)).toContain("Ingress");
    expect(withProxy.stdout).toContain("name: oauth2-proxy");
    expect(withProxy.stdout).toContain("port: 4180");
  });
});
