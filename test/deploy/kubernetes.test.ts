import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { z } from "zod";
import { parseConfig } from "@/lib/config";
import { configEnvNames, DEPLOY, exists, readYamlDocs, ROOT, run } from "./helpers";

const K8S = join(DEPLOY, "kubernetes");
const GKE = join(DEPLOY, "gke");
const HA = join(DEPLOY, "ha");

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
const roleSchema = z.object({
  kind: z.enum(["Role", "ClusterRole"]),
  metadata: z.object({ name: z.string(), namespace: z.string().optional() }),
  rules: z.array(ruleSchema),
});
const bindingSchema = z.object({
  kind: z.enum(["RoleBinding", "ClusterRoleBinding"]),
  metadata: z.object({ name: z.string(), namespace: z.string().optional() }),
  roleRef: z.object({ apiGroup: z.string(), kind: z.string(), name: z.string() }),
  subjects: z.array(z.object({ kind: z.string(), name: z.string(), namespace: z.string() })),
});
const kustomizationSchema = z.object({
  kind: z.enum(["Kustomization", "Component"]),
  namespace: z.string().optional(),
  resources: z.array(z.string()).optional(),
  components: z.array(z.string()).optional(),
  // A patch is a file (path) or inline (patch, with a target).
  patches: z.array(z.union([z.object({ path: z.string() }), z.object({ patch: z.string(), target: z.object({ kind: z.string() }).loose() })])).optional(),
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

/**
 * The RBAC permission (group/resource/verb) each Kubernetes API method needs. A method the code calls
 * that is missing here fails the RBAC test: add it here and to the Role and ClusterRole.
 */
const PERMISSION_OF: Record<string, string> = {
  "CoreV1Api.readNamespacedPod": "/pods/get",
  "CoreV1Api.listNamespacedPod": "/pods/list",
  "CoreV1Api.readNamespacedPodLog": "/pods/log/get",
  "CoreV1Api.listNamespacedEvent": "/events/list",
  "EventsV1Api.listNamespacedEvent": "events.k8s.io/events/list",
  "AppsV1Api.readNamespacedReplicaSet": "apps/replicasets/get",
  "AppsV1Api.readNamespacedDeployment": "apps/deployments/get",
  "AppsV1Api.readNamespacedStatefulSet": "apps/statefulsets/get",
  "CoreV1Api.readNamespacedService": "/services/get",
  "CoreV1Api.readNode": "/nodes/get",
  "AppsV1Api.listNamespacedReplicaSet": "apps/replicasets/list",
  "AppsV1Api.readNamespacedDaemonSet": "apps/daemonsets/get",
  "AppsV1Api.listNamespacedControllerRevision": "apps/controllerrevisions/list",
  "BatchV1Api.readNamespacedJob": "batch/jobs/get",
  "AutoscalingV2Api.listNamespacedHorizontalPodAutoscaler": "autoscaling/horizontalpodautoscalers/list",
  // The code reads one custom resource, KServe's InferenceService (lib/cluster/kube-workload.ts).
  "CustomObjectsApi.getNamespacedCustomObject": "serving.kserve.io/inferenceservices/get",
};

/** Resources that belong to no namespace: granted by the ClusterRole NODE_ROLE, in every layout. */
const CLUSTER_SCOPED = new Set(["/nodes"]);
const NODE_ROLE = "triage-console-nodes";
const isClusterScoped = (permission: string) => CLUSTER_SCOPED.has(permission.slice(0, permission.lastIndexOf("/")));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** The permissions the code's Kubernetes calls need: API classes it builds, and their methods it calls. */
function requiredPermissions(): string[] {
  const needed = new Set<string>();
  const apis = new Map<string, object>(
    Object.entries(k8s).flatMap(([name, value]) =>
      /^(?:\w+V\d\w*Api|CustomObjectsApi)$/.test(name) && typeof value === "function" ? [[name, value.prototype as object]] : [],
    ),
  );
  for (const file of [...sourceFiles(join(ROOT, "lib")), ...sourceFiles(join(ROOT, "cli"))]) {
    const text = readFileSync(file, "utf8");
    for (const [, api = ""] of text.matchAll(/makeApiClient\(k8s\.(\w+)\)/g)) {
      const proto = apis.get(api);
      expect(proto, `${relative(ROOT, file)} builds ${api}`).toBeDefined();
      for (const [, method = ""] of text.matchAll(/\.(\w+)\(/g)) {
        if (!proto || !(method in proto) || method === "constructor") continue;
        const permission = PERMISSION_OF[`${api}.${method}`];
        expect(permission, `${relative(ROOT, file)} calls ${api}.${method}: add its permission to PERMISSION_OF and the Roles`).toBeDefined();
        if (permission) needed.add(permission);
      }
    }
  }
  expect(needed.size).toBeGreaterThan(0);
  return [...needed].sort();
}

/** What a Role grants, as group/resource/verb, with no wildcard anywhere. */
function granted(role: z.infer<typeof roleSchema>): string[] {
  const out = new Set<string>();
  for (const r of role.rules) {
    for (const x of [...r.apiGroups, ...r.resources, ...r.verbs]) expect(x).not.toContain("*");
    for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.add(`${g}/${res}/${v}`);
  }
  return [...out].sort();
}

/** Where @kubernetes/client-node's loadFromCluster reads the token, CA and namespace (from its source). */
function clientServiceAccountRoot(): string {
  const text = readFileSync(join(ROOT, "node_modules", "@kubernetes", "client-node", "dist", "config.js"), "utf8");
  const root = /const SERVICEACCOUNT_ROOT = '([^']+)'/.exec(text)?.[1];
  for (const f of ["ca.crt", "token", "namespace"]) expect(text).toContain(`SERVICEACCOUNT_ROOT + '/${f}'`);
  expect(root).toBeDefined();
  return root ?? "";
}

const podSpecSchema = z.object({
  automountServiceAccountToken: z.boolean().optional(),
  containers: z.array(
    z.object({
      name: z.string(),
      volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string(), readOnly: z.boolean().optional() })).optional(),
    }),
  ),
  volumes: z.array(
    z.object({
      name: z.string(),
      projected: z
        .object({
          defaultMode: z.number().optional(),
          sources: z.array(
            z.object({
              serviceAccountToken: z.object({ path: z.string(), expirationSeconds: z.number().optional() }).optional(),
              configMap: z.object({ name: z.string(), items: z.array(z.object({ key: z.string(), path: z.string() })) }).optional(),
              downwardAPI: z.object({ items: z.array(z.object({ path: z.string(), fieldRef: z.object({ fieldPath: z.string() }) })) }).optional(),
            }),
          ),
        })
        .optional(),
    }),
  ),
});

const labelsSchema = z.object({ matchLabels: z.record(z.string(), z.string()) });
const peerSchema = z.object({
  namespaceSelector: labelsSchema.optional(),
  podSelector: labelsSchema.optional(),
  ipBlock: z.object({ cidr: z.string(), except: z.array(z.string()).optional() }).optional(),
});
const portSchema = z.object({ port: z.number(), protocol: z.enum(["TCP", "UDP"]) });
const networkPolicySchema = z.object({
  kind: z.literal("NetworkPolicy"),
  metadata: z.object({ name: z.string(), namespace: z.string() }),
  spec: z.object({
    podSelector: labelsSchema,
    policyTypes: z.array(z.enum(["Ingress", "Egress"])),
    // A rule without `from`/`to` or without `ports` would admit everything: both are required here.
    ingress: z.array(z.object({ from: z.array(peerSchema).min(1), ports: z.array(portSchema).min(1) })).optional(),
    egress: z.array(z.object({ to: z.array(peerSchema).min(1), ports: z.array(portSchema).min(1) })).optional(),
  }),
});
type NetworkPolicy = z.infer<typeof networkPolicySchema>;
const containerEnvSchema = z.object({
  spec: z.object({ template: z.object({ spec: z.object({ containers: z.array(z.object({ name: z.string(), image: z.string(), env: z.array(envVarSchema).optional() })) }) }) }),
});
const podOf = (deploymentDoc: unknown) => z.object({ spec: z.object({ template: z.object({ spec: podSpecSchema }) }) }).parse(deploymentDoc).spec.template.spec;

function peerText(p: z.infer<typeof peerSchema>): string {
  if (p.ipBlock) return `${p.ipBlock.cidr}${p.ipBlock.except ? ` except ${p.ipBlock.except.join(",")}` : ""}`;
  const ns = p.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] ?? (p.namespaceSelector ? "?" : "(same namespace)");
  const pod = p.podSelector ? Object.values(p.podSelector.matchLabels).join(",") : "*";
  return `${ns}/${pod}`;
}

/** Each (port, source) an ingress policy admits, e.g. "9095/TCP <- monitoring/alertmanager". */
function ingressSummary(policy: NetworkPolicy): string[] {
  return (policy.spec.ingress ?? []).flatMap((r) => r.ports.flatMap((p) => r.from.map((f) => `${p.port}/${p.protocol} <- ${peerText(f)}`))).sort();
}
function egressSummary(policy: NetworkPolicy): string[] {
  return (policy.spec.egress ?? []).flatMap((r) => r.ports.flatMap((p) => r.to.map((t) => `${p.port}/${p.protocol} -> ${peerText(t)}`)));
}

const tmp = mkdtempSync(join(tmpdir(), "k8s-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("Kubernetes manifests", () => {
  it("lists only files that exist, and keeps the example Secret out", () => {
    for (const file of [...yamlFiles(K8S), ...yamlFiles(GKE), ...yamlFiles(HA)].filter((f) => /kustomization\.ya?ml$/.test(f))) {
      const k = kustomizationSchema.parse(parse(readFileSync(file, "utf8")));
      const dir = join(file, "..");
      for (const p of [...(k.resources ?? []), ...(k.components ?? []), ...(k.patches ?? []).flatMap((x) => ("path" in x ? [x.path] : []))]) {
        expect(exists(join(dir, p)), `${relative(K8S, file)} lists ${p}`).toBe(true);
      }
      expect(k.resources ?? []).not.toContain("secret.example.yaml");
    }
    const base = kustomizationSchema.parse(parse(readFileSync(join(K8S, "kustomization.yaml"), "utf8")));
    // No `namespace:` transformer: it would move the watched namespaces' Roles into monitoring.
    expect(base.namespace).toBeUndefined();
    expect(base.resources).toEqual(
      expect.arrayContaining(["deployment.yaml", "service.yaml", "serviceaccount.yaml", "watched-namespaces", "node-reader.yaml", "pvc.yaml", "networkpolicy.yaml"]),
    );
    for (const m of manifests) {
      const meta = z.object({ kind: z.string(), metadata: z.object({ namespace: z.string().optional() }) }).safeParse(m.doc).data;
      if (!meta || ["Kustomization", "Component", "ClusterRole", "ClusterRoleBinding", "StorageClass"].includes(meta.kind)) continue;
      if (meta.kind === "Role" || meta.kind === "RoleBinding") expect(meta.metadata.namespace, m.file).toBeTruthy();
      else expect(meta.metadata.namespace, `${m.file} names its namespace`).toBe("monitoring");
    }
    // The optional component is offered, commented out, with a path that exists.
    expect(readFileSync(join(K8S, "kustomization.yaml"), "utf8")).toMatch(/^# {3}- optional\/oauth2-proxy$/m);
    expect(Object.values(secretExample.stringData).every((v) => v.startsWith("REPLACE_"))).toBe(true);
  });

  it("grants per watched namespace exactly the reads the code makes, and the ClusterRole alternative the same", () => {
    const required = requiredPermissions();
    const want = required.filter((p) => !isClusterScoped(p));
    const clusterWant = required.filter(isClusterScoped);
    expect(clusterWant).toEqual(["/nodes/get"]);
    const all = [...ofKind("Role"), ...ofKind("ClusterRole")].map((m) => ({ file: m.file, role: roleSchema.parse(m.doc) }));
    const nodeRoles = all.filter((r) => r.role.metadata.name === NODE_ROLE);
    expect(nodeRoles.map((r) => [r.file, r.role.kind])).toEqual([["node-reader.yaml", "ClusterRole"]]);
    expect(granted(nodeRoles[0]?.role ?? { kind: "ClusterRole", metadata: { name: "" }, rules: [] })).toEqual(clusterWant);
    const roles = all.filter((r) => r.role.metadata.name !== NODE_ROLE);
    expect(roles.map((r) => r.role.kind).sort()).toEqual(["ClusterRole", ...Array<string>(roles.length - 1).fill("Role")]);
    for (const { file, role } of roles) expect(granted(role), `${file}: ${role.kind} ${role.metadata.name}`).toEqual(want);

    const sa = deployment.spec.template.spec.serviceAccountName;
    expect(ofKind("ServiceAccount").map((m) => kindSchema.parse(m.doc).metadata.name)).toEqual([sa]);
    const bindings = [...ofKind("RoleBinding"), ...ofKind("ClusterRoleBinding")].map((m) => bindingSchema.parse(m.doc));
    for (const { role } of all) {
      const b = bindings.filter((x) => x.roleRef.name === role.metadata.name && x.metadata.namespace === role.metadata.namespace);
      expect(b, `one binding for ${role.kind} ${role.metadata.namespace ?? ""}/${role.metadata.name}`).toHaveLength(1);
      expect(b[0]?.kind).toBe(role.kind === "Role" ? "RoleBinding" : "ClusterRoleBinding");
      expect(b[0]?.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: role.kind, name: role.metadata.name });
      expect(b[0]?.subjects).toEqual([{ kind: "ServiceAccount", name: sa, namespace: "monitoring" }]);
    }
    // The default is namespaced: the base lists watched-namespaces, and the ClusterRole is only a component.
    const watched = kustomizationSchema.parse(parse(readFileSync(join(K8S, "watched-namespaces", "kustomization.yaml"), "utf8")));
    expect(watched.resources?.length).toBeGreaterThan(0);
    expect(ofKind("ClusterRole").map((m) => m.file).sort()).toEqual([join("optional", "cluster-wide", "clusterrole.yaml"), "node-reader.yaml"].sort());
  });

  it("names only files that exist in the README's deploy walkthrough", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Deploy to Kubernetes"), readme.indexOf("## Configure Alertmanager and Grafana"));
    const paths = [...new Set([...section.matchAll(/\bdeploy\/(?:gke|ha|kubernetes|alertmanager|prometheus)\b[\w./-]*[\w-]/g)].map((m) => m[0]))];
    expect(paths.length).toBeGreaterThan(10);
    for (const p of paths) expect(exists(join(ROOT, p)), `README names ${p}`).toBe(true);
  });

  it("gives the service-account token to the console container alone, laid out as the client reads it in-cluster", () => {
    const pod = podOf(ofKind("Deployment").find((m) => m.file === "deployment.yaml")?.doc);
    expect(pod.automountServiceAccountToken).toBe(false);
    const root = clientServiceAccountRoot();
    const mounts = pod.containers.flatMap((c) => (c.volumeMounts ?? []).filter((m) => m.mountPath === root).map((m) => ({ container: c.name, ...m })));
    expect(mounts).toEqual([{ container: "console", name: "kube-api-access", mountPath: root, readOnly: true }]);
    const volume = pod.volumes.find((v) => v.name === "kube-api-access")?.projected;
    expect(volume).toBeDefined();
    expect(volume?.defaultMode).toBe(0o444);
    const files = (volume?.sources ?? []).flatMap((src) => [
      ...(src.serviceAccountToken ? [`token <- serviceAccountToken ${src.serviceAccountToken.path === "token" ? "" : "?"}`] : []),
      ...(src.configMap?.items ?? []).map((i) => `${i.path} <- configMap ${src.configMap?.name}/${i.key}`),
      ...(src.downwardAPI?.items ?? []).map((i) => `${i.path} <- ${i.fieldRef.fieldPath}`),
    ]);
    expect(files.sort()).toEqual(["ca.crt <- configMap kube-root-ca.crt/ca.crt", "namespace <- metadata.namespace", "token <- serviceAccountToken "]);
    // The kubelet rotates the token; ask for no longer than its automounted one.
    expect(volume?.sources.find((x) => x.serviceAccountToken)?.serviceAccountToken?.expirationSeconds).toBeLessThanOrEqual(3607);
  });

  it("admits webhooks only from Alertmanager, the console port only from Prometheus, and egress only where the console goes", () => {
    const policy = networkPolicySchema.parse(one("NetworkPolicy", z.unknown(), "networkpolicy.yaml"));
    expect(policy.spec.podSelector.matchLabels).toEqual({ "app.kubernetes.io/name": "triage-console" });
    expect(policy.spec.policyTypes.sort()).toEqual(["Egress", "Ingress"]);
    expect(ingressSummary(policy)).toEqual(["3000/TCP <- monitoring/prometheus", "9095/TCP <- monitoring/alertmanager"]);
    const egress = egressSummary(policy);
    expect(egress).toEqual(
      expect.arrayContaining([
        "53/UDP -> kube-system/kube-dns",
        "53/TCP -> kube-system/kube-dns",
        "9093/TCP -> monitoring/alertmanager",
        "443/TCP -> 0.0.0.0/0",
        "6443/TCP -> 0.0.0.0/0",
        "443/TCP -> 0.0.0.0/0 except 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16",
      ]),
    );
    expect(egress).toHaveLength(6);
    // The UI port's own rule comes with the way it is published: 4180 (oauth2-proxy) from the ingress controller.
    const ui = networkPolicySchema.parse(one("NetworkPolicy", z.unknown(), join("optional", "oauth2-proxy", "networkpolicy.yaml")));
    expect(ui.spec.policyTypes).toEqual(["Ingress"]);
    expect(ingressSummary(ui)).toEqual(["4180/TCP <- ingress-nginx/*"]);
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
});

const hasKubectl = exists("/usr/bin/kubectl") || exists("/usr/local/bin/kubectl");

/** `kubectl kustomize DIR`, as parsed documents. */
async function render(dir: string): Promise<Array<{ kind: string; name: string; doc: unknown }>> {
  const r = await run("kubectl", ["kustomize", dir]);
  expect(r.code, r.stderr).toBe(0);
  return parseAllDocuments(r.stdout).map((d) => {
    const doc: unknown = d.toJS();
    const k = kindSchema.parse(doc);
    return { kind: k.kind, name: k.metadata.name, doc };
  });
}
const kindsOf = (docs: Array<{ kind: string }>) => docs.map((d) => d.kind).sort();

/** A copy of deploy/kubernetes with its kustomization edited, rendered. */
async function renderEdited(edit: (kustomization: string) => string) {
  const copy = mkdtempSync(join(tmp, "kustomize-"));
  cpSync(K8S, copy, { recursive: true });
  const file = join(copy, "kustomization.yaml");
  const before = readFileSync(file, "utf8");
  const after = edit(before);
  expect(after).not.toBe(before);
  writeFileSync(file, after);
  return render(copy);
}

describe.runIf(hasKubectl)("rendered with kustomize (kubectl kustomize)", () => {
  it("builds the base: namespaced read access, the NetworkPolicy, no cluster-wide role but get on nodes", async () => {
    const docs = await render(K8S);
    expect(kindsOf(docs)).toEqual(["ClusterRole", "ClusterRoleBinding", "Deployment", "NetworkPolicy", "PersistentVolumeClaim", "Role", "RoleBinding", "Service", "ServiceAccount"]);
    const role = roleSchema.parse(docs.find((d) => d.kind === "Role")?.doc);
    expect(role.metadata.namespace).toBe("ml-serving");
    expect(granted(role)).toEqual(requiredPermissions().filter((p) => !isClusterScoped(p)));
    const nodes = roleSchema.parse(docs.find((d) => d.kind === "ClusterRole")?.doc);
    expect([nodes.metadata.name, granted(nodes)]).toEqual([NODE_ROLE, ["/nodes/get"]]);
    const binding = bindingSchema.parse(docs.find((d) => d.kind === "RoleBinding")?.doc);
    expect(binding.metadata.namespace).toBe("ml-serving");
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "triage-console", namespace: "monitoring" }]);
    expect(podOf(docs.find((d) => d.kind === "Deployment")?.doc).automountServiceAccountToken).toBe(false);
    const volume = podOf(docs.find((d) => d.kind === "Deployment")?.doc).volumes.find((v) => v.name === "kube-api-access");
    expect(volume?.projected?.defaultMode).toBe(0o444);
  });

  it("swaps the Roles for the ClusterRole with the cluster-wide component", async () => {
    const docs = await renderEdited((k) => k.replace(/^ {2}- watched-namespaces\n/m, "").replace(/^# components:\n/m, "components:\n  - optional/cluster-wide\n# "));
    expect(kindsOf(docs).filter((k) => /Role/.test(k))).toEqual(["ClusterRole", "ClusterRole", "ClusterRoleBinding", "ClusterRoleBinding"]);
    const clusterRoles = docs.filter((d) => d.kind === "ClusterRole").map((d) => roleSchema.parse(d.doc));
    const reader = clusterRoles.find((r) => r.metadata.name !== NODE_ROLE);
    expect(reader && granted(reader)).toEqual(requiredPermissions().filter((p) => !isClusterScoped(p)));
  });

  it("adds oauth2-proxy without the service-account token, and opens only its port to the ingress controller", async () => {
    const docs = await renderEdited((k) => k.replace(/^# components:\n# {3}- optional\/oauth2-proxy$/m, "components:\n  - optional/oauth2-proxy"));
    expect(kindsOf(docs)).toEqual(expect.arrayContaining(["Ingress", "NetworkPolicy", "NetworkPolicy"]));
    const pod = podOf(docs.find((d) => d.kind === "Deployment")?.doc);
    expect(pod.containers.map((c) => c.name).sort()).toEqual(["console", "oauth2-proxy"]);
    expect(pod.automountServiceAccountToken).toBe(false);
    const proxy = pod.containers.find((c) => c.name === "oauth2-proxy");
    expect(proxy?.volumeMounts ?? []).toEqual([]);
    const policies = docs.filter((d) => d.kind === "NetworkPolicy").map((d) => networkPolicySchema.parse(d.doc));
    expect(policies.flatMap(ingressSummary).sort()).toEqual(["3000/TCP <- monitoring/prometheus", "4180/TCP <- ingress-nginx/*", "9095/TCP <- monitoring/alertmanager"]);
  });

  it("reads other clusters through a mounted kubeconfig Secret with the multi-cluster component", async () => {
    const docs = await renderEdited((k) => k.replace(/^# components:\n/m, "components:\n  - optional/multi-cluster\n# "));
    const deploymentDoc = docs.find((d) => d.kind === "Deployment")?.doc;
    const console = containerEnvSchema.parse(deploymentDoc).spec.template.spec.containers.find((c) => c.name === "console");
    const names = configEnvNames();
    const env: Record<string, string> = { WEBHOOK_BEARER_TOKEN: "x".repeat(32) };
    for (const e of console?.env ?? []) {
      expect(names.has(e.name) || e.name in NON_CONFIG_ENV, e.name).toBe(true);
      if (e.value !== undefined) env[e.name] = e.value;
    }
    const config = parseConfig(env);
    expect(Object.values(config.kube.clusterContexts)).toContain("in-cluster");
    const mountDir = (config.kube.kubeconfig ?? "").replace(/\/[^/]+$/, "");
    const pod = podOf(deploymentDoc);
    const mount = pod.containers.find((c) => c.name === "console")?.volumeMounts?.find((m) => m.mountPath === mountDir);
    expect(mount?.readOnly).toBe(true);
    const volumes = z
      .object({ spec: z.object({ template: z.object({ spec: z.object({ volumes: z.array(z.object({ name: z.string(), secret: z.object({ secretName: z.string() }).optional() })) }) }) }) })
      .parse(deploymentDoc).spec.template.spec.volumes;
    const volume = volumes.find((v) => v.name === mount?.name);
    expect(volume?.secret?.secretName).toBe("triage-console-kubeconfig");
  });

  it("runs as a dispatch-only bridge with the dispatch-only component: no cluster reads, no token, no Gemini key", async () => {
    const variants = [
      await renderEdited((k) => k.replace(/^# components:\n/m, "components:\n  - optional/dispatch-only\n# ")),
      await renderEdited((k) => k.replace(/^ {2}- watched-namespaces\n/m, "").replace(/^# components:\n/m, "components:\n  - optional/cluster-wide\n  - optional/dispatch-only\n# ")),
    ];
    for (const docs of variants) {
      expect(kindsOf(docs)).toEqual(["Deployment", "NetworkPolicy", "PersistentVolumeClaim", "Service", "ServiceAccount"]);
      const deploymentDoc = docs.find((d) => d.kind === "Deployment")?.doc;
      const pod = podOf(deploymentDoc);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.volumes.map((v) => v.name)).not.toContain("kube-api-access");
      expect(pod.containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => m.mountPath))).not.toContain(clientServiceAccountRoot());
      const env = containerEnvSchema.parse(deploymentDoc).spec.template.spec.containers.find((c) => c.name === "console")?.env ?? [];
      const names = configEnvNames();
      for (const e of env) expect(names.has(e.name) || e.name in NON_CONFIG_ENV, e.name).toBe(true);
      expect(env.map((e) => e.name)).not.toContain("GEMINI_API_KEY");
      const values: Record<string, string> = {};
      for (const e of env) {
        const ref = e.valueFrom?.secretKeyRef;
        const v = e.value ?? (ref ? secretExample.stringData[ref.key] : undefined);
        if (v !== undefined) values[e.name] = v;
      }
      const config = parseConfig(values);
      expect(config.webhook.mode).toBe("dispatch");
      expect(config.gemini.apiKey).toBeUndefined();
      expect(config.github).toMatchObject({ workflow: "ai-log-analysis.yml", workflowRef: "main" });
      expect(existsSync(join(ROOT, ".github", "workflows", config.github.workflow))).toBe(true);
      expect(config.webhook.listen).toEqual({ host: "0.0.0.0", port: 9095 });
      // The egress to the Kubernetes API goes; DNS, Alertmanager and HTTPS to public addresses (GitHub) stay.
      const policy = networkPolicySchema.parse(docs.find((d) => d.kind === "NetworkPolicy")?.doc);
      expect(egressSummary(policy).sort()).toEqual([
        "443/TCP -> 0.0.0.0/0 except 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16",
        "53/TCP -> kube-system/kube-dns",
        "53/UDP -> kube-system/kube-dns",
        "9093/TCP -> monitoring/alertmanager",
      ]);
      expect(ingressSummary(policy)).toEqual(["3000/TCP <- monitoring/prometheus", "9095/TCP <- monitoring/alertmanager"]);
    }
  });

  it("builds the GKE overlay: gce Ingress with a managed certificate, a long backend timeout, token mode, the image by digest", async () => {
    const docs = await render(GKE);
    expect(kindsOf(docs)).toEqual(
      expect.arrayContaining(["AlertmanagerConfig", "BackendConfig", "Deployment", "Ingress", "ManagedCertificate", "NetworkPolicy", "Role", "RoleBinding", "Service"]),
    );
    const doc = (kind: string) => docs.find((d) => d.kind === kind)?.doc;
    const ingress = z
      .object({
        metadata: z.object({ annotations: z.record(z.string(), z.string()) }),
        spec: z.object({ rules: z.array(z.object({ host: z.string(), http: z.object({ paths: z.array(z.object({ backend: z.object({ service: z.object({ name: z.string(), port: z.object({ name: z.string() }) }) }) })) }) })) }),
      })
      .parse(doc("Ingress"));
    expect(ingress.metadata.annotations["kubernetes.io/ingress.class"]).toBe("gce");
    const certName = ingress.metadata.annotations["networking.gke.io/managed-certificates"];
    const cert = z.object({ metadata: z.object({ name: z.string() }), spec: z.object({ domains: z.array(z.string()) }) }).parse(doc("ManagedCertificate"));
    expect(cert.metadata.name).toBe(certName);
    expect(cert.spec.domains).toEqual(ingress.spec.rules.map((r) => r.host));
    expect(ingress.spec.rules.flatMap((r) => r.http.paths.map((p) => p.backend.service))).toEqual([{ name: "triage-console", port: { name: "http" } }]);

    // The Service points the load balancer at the BackendConfig, whose timeout keeps progress streams open.
    const service = z.object({ metadata: z.object({ annotations: z.record(z.string(), z.string()) }) }).parse(doc("Service"));
    expect(JSON.parse(service.metadata.annotations["cloud.google.com/neg"] ?? "{}")).toEqual({ ingress: true });
    const backendRef = z.object({ ports: z.record(z.string(), z.string()) }).parse(JSON.parse(service.metadata.annotations["cloud.google.com/backend-config"] ?? "{}"));
    const backend = z
      .object({ metadata: z.object({ name: z.string() }), spec: z.object({ timeoutSec: z.number(), healthCheck: z.object({ requestPath: z.string(), port: z.number() }) }) })
      .parse(doc("BackendConfig"));
    expect(backendRef.ports.http).toBe(backend.metadata.name);
    expect(backend.spec.timeoutSec).toBeGreaterThanOrEqual(3600);
    expect(backend.spec.healthCheck).toMatchObject({ requestPath: "/api/health", port: 3000 });

    // The UI port from Google's load balancer ranges only.
    const policies = docs.filter((d) => d.kind === "NetworkPolicy").map((d) => networkPolicySchema.parse(d.doc));
    expect(policies.flatMap(ingressSummary).sort()).toEqual([
      "3000/TCP <- 130.211.0.0/22",
      "3000/TCP <- 35.191.0.0/16",
      "3000/TCP <- monitoring/prometheus",
      "9095/TCP <- monitoring/alertmanager",
    ]);

    const deploymentDoc = containerEnvSchema.parse(doc("Deployment"));
    const console = deploymentDoc.spec.template.spec.containers.find((c) => c.name === "console");
    expect(console?.image).toMatch(/^[\w.-]+(\/[\w.-]+)+@sha256:[0-9a-f]{64}$/);
    const env = new Map((console?.env ?? []).map((e) => [e.name, e]));
    expect(env.get("AUTH_MODE")?.value).toBe("token");
    expect(env.get("AUTH_TOKEN")?.valueFrom?.secretKeyRef).toEqual({ name: "triage-console", key: "auth-token", optional: false });
  });

  it("creates the Secret from the example env file with every key the GKE Deployment reads, and the result is a valid configuration", async () => {
    const envFile = join(tmp, "secrets.env");
    cpSync(join(GKE, "secrets.env.example"), envFile);
    const r = await run("kubectl", ["-n", "monitoring", "create", "secret", "generic", "triage-console", `--from-env-file=${envFile}`, "--dry-run=client", "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const secret = z.object({ metadata: z.object({ name: z.string(), namespace: z.string() }), data: z.record(z.string(), z.string()) }).parse(JSON.parse(r.stdout));
    const values = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));

    const docs = await render(GKE);
    const deploymentDoc = containerEnvSchema.parse(docs.find((d) => d.kind === "Deployment")?.doc);
    const env: Record<string, string> = {};
    for (const e of deploymentDoc.spec.template.spec.containers.find((c) => c.name === "console")?.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) {
        expect(ref.name).toBe(secret.metadata.name);
        expect(Object.keys(values), `secrets.env.example has ${ref.key}`).toContain(ref.key);
      }
      const v = e.value ?? (ref ? values[ref.key] : undefined);
      if (v !== undefined) env[e.name] = v;
    }
    const config = parseConfig(env);
    expect(config.auth.mode).toBe("token");
    expect(config.webhook.bearerToken).toBeTruthy();
    // The AlertmanagerConfig reads the webhook token from the same Secret.
    const amc = z
      .object({ spec: z.object({ receivers: z.array(z.object({ webhookConfigs: z.array(z.object({ httpConfig: z.object({ authorization: z.object({ credentials: z.object({ name: z.string(), key: z.string() }) }) }) })).optional() })) }) })
      .parse(docs.find((d) => d.kind === "AlertmanagerConfig")?.doc);
    const credentials = amc.spec.receivers.flatMap((x) => x.webhookConfigs ?? []).map((w) => w.httpConfig.authorization.credentials);
    expect(credentials).toEqual([{ name: secret.metadata.name, key: "webhook-bearer-token" }]);
    expect(env.WEBHOOK_BEARER_TOKEN).toBe(values["webhook-bearer-token"]);
  });
});

const haSecretExample = z
  .object({ kind: z.literal("Secret"), metadata: z.object({ name: z.string(), namespace: z.string() }), stringData: z.record(z.string(), z.string()) })
  .parse(readYamlDocs(join(HA, "secret.example.yaml"))[0]);
const labelSelectorSchema = z.object({ matchLabels: z.record(z.string(), z.string()) });
const haDeploymentSchema = z.object({
  spec: z.object({
    replicas: z.number(),
    selector: labelSelectorSchema,
    strategy: z.object({ type: z.string(), rollingUpdate: z.object({ maxUnavailable: z.union([z.number(), z.string()]), maxSurge: z.union([z.number(), z.string()]) }).optional() }),
    template: z.object({
      metadata: z.object({ labels: z.record(z.string(), z.string()) }),
      spec: z.object({
        securityContext: z.object({ fsGroup: z.number().optional() }).loose(),
        topologySpreadConstraints: z
          .array(z.object({ maxSkew: z.number(), topologyKey: z.string(), whenUnsatisfiable: z.enum(["DoNotSchedule", "ScheduleAnyway"]), labelSelector: labelSelectorSchema }))
          .optional(),
        containers: z.array(containerSchema.extend({ startupProbe: z.unknown().optional(), livenessProbe: z.unknown(), readinessProbe: z.unknown() })),
        volumes: z.array(z.object({ name: z.string() }).loose()),
      }),
    }),
  }),
});
const pdbSchema = z.object({
  apiVersion: z.literal("policy/v1"),
  metadata: z.object({ name: z.string(), namespace: z.string() }),
  spec: z.object({ minAvailable: z.number().optional(), maxUnavailable: z.unknown().optional(), selector: labelSelectorSchema }),
});
/** Every label of the selector is on the pod, with the same value: the selector selects the pod. */
const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

describe.runIf(hasKubectl)("the ha overlay (two replicas on PostgreSQL), rendered with kubectl kustomize", () => {
  const rendered = () => Promise.all([render(HA), render(K8S)]);

  it("keeps the example Secret out and renders the base's resources, without the volume claim, plus a PodDisruptionBudget", async () => {
    const k = kustomizationSchema.parse(parse(readFileSync(join(HA, "kustomization.yaml"), "utf8")));
    expect(k.resources).toContain("../kubernetes");
    expect(k.resources).not.toContain("secret.example.yaml");
    const [ha, base] = await rendered();
    const want = [...kindsOf(base).filter((x) => x !== "PersistentVolumeClaim"), "PodDisruptionBudget"].sort();
    expect(kindsOf(ha)).toEqual(want);
    for (const d of ha) {
      if (["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"].includes(d.kind)) continue;
      expect(z.object({ metadata: z.object({ namespace: z.string() }) }).parse(d.doc).metadata.namespace, `${d.kind} ${d.name}`).toBe("monitoring");
    }
  });

  it("runs two replicas, rolls without ever going below two, spreads them over nodes (and zones), and keeps one through disruptions", async () => {
    const [ha] = await rendered();
    const dep = haDeploymentSchema.parse(ha.find((d) => d.kind === "Deployment")?.doc);
    expect(dep.spec.replicas).toBe(2);
    expect(dep.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const podLabels = dep.spec.template.metadata.labels;
    expect(selects(dep.spec.selector.matchLabels, podLabels)).toBe(true);

    const spread = dep.spec.template.spec.topologySpreadConstraints ?? [];
    const byKey = new Map(spread.map((c) => [c.topologyKey, c]));
    expect(byKey.get("kubernetes.io/hostname")).toMatchObject({ maxSkew: 1, whenUnsatisfiable: "DoNotSchedule" });
    expect(byKey.get("topology.kubernetes.io/zone")).toMatchObject({ maxSkew: 1, whenUnsatisfiable: "ScheduleAnyway" });
    for (const c of spread) expect(selects(c.labelSelector.matchLabels, podLabels), `spread over ${c.topologyKey} counts the console's pods`).toBe(true);

    const pdbs = ha.filter((d) => d.kind === "PodDisruptionBudget").map((d) => pdbSchema.parse(d.doc));
    expect(pdbs).toHaveLength(1);
    const pdb = pdbs[0];
    expect(pdb?.spec.minAvailable).toBe(1);
    expect(pdb?.spec.maxUnavailable).toBeUndefined();
    expect(pdb?.metadata.namespace).toBe("monitoring");
    // It selects the Deployment's pods: a budget that selects nothing protects nothing.
    expect(selects(pdb?.spec.selector.matchLabels ?? {}, podLabels)).toBe(true);
    expect((pdb?.spec.minAvailable ?? 0) < dep.spec.replicas).toBe(true);
  });

  it("has no volume claim: only emptyDirs (tmp and Next's cache for the read-only root) and the projected token", async () => {
    const [ha] = await rendered();
    const dep = haDeploymentSchema.parse(ha.find((d) => d.kind === "Deployment")?.doc);
    const pod = dep.spec.template.spec;
    expect(JSON.stringify(pod)).not.toContain("persistentVolumeClaim");
    expect(pod.securityContext.fsGroup).toBeUndefined();
    const volumes = new Map(pod.volumes.map((v) => [v.name, v]));
    expect([...volumes.keys()].sort()).toEqual(["kube-api-access", "next-cache", "tmp"]);
    const console_ = pod.containers.find((c) => c.name === "console");
    const mounts = new Map((console_?.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
    expect(mounts.has("/data")).toBe(false);
    for (const path of ["/tmp", "/app/.next/cache"]) {
      const v = z.object({ emptyDir: z.object({ sizeLimit: z.string() }) }).safeParse(volumes.get(mounts.get(path) ?? ""));
      expect(v.success, `${path} is a size-limited emptyDir`).toBe(true);
    }
  });

  it("reads DATABASE_URL from its Secret (no literal anywhere) and keeps the base's probes, ports and hardening", async () => {
    const [ha, base] = await rendered();
    const dep = haDeploymentSchema.parse(ha.find((d) => d.kind === "Deployment")?.doc);
    const baseDep = haDeploymentSchema.parse(base.find((d) => d.kind === "Deployment")?.doc);
    const console_ = dep.spec.template.spec.containers.find((c) => c.name === "console");
    const baseConsole = baseDep.spec.template.spec.containers.find((c) => c.name === "console");
    expect(console_).toBeDefined();
    const env = new Map((console_?.env ?? []).map((e) => [e.name, e]));
    const db = env.get("DATABASE_URL");
    expect(db?.value).toBeUndefined();
    expect(db?.valueFrom?.secretKeyRef).toEqual({ name: haSecretExample.metadata.name, key: "database-url" });
    expect(haSecretExample.metadata.namespace).toBe("monitoring");
    expect(haSecretExample.stringData["database-url"]).toMatch(/^postgres:\/\//);
    // No database URL (and so no password) is written into any rendered manifest.
    for (const d of ha) expect(JSON.stringify(d.doc), `${d.kind} ${d.name}`).not.toMatch(/postgres(?:ql)?:\/\//);
    // Same readiness (/api/ready answers 503 while the database is unreachable), liveness, ports, limits and hardening.
    for (const key of ["readinessProbe", "livenessProbe", "startupProbe", "ports", "resources", "securityContext", "image"] as const) {
      expect(console_?.[key], key).toEqual(baseConsole?.[key]);
    }
    // Everything else is the base's environment, unchanged.
    const others = (console_?.env ?? []).filter((e) => e.name !== "DATABASE_URL");
    expect(others).toEqual((baseConsole?.env ?? []).filter((e) => e.name !== "DATABASE_URL"));
    expect(z.object({ spec: z.object({ template: z.object({ spec: z.object({ automountServiceAccountToken: z.boolean() }).loose() }) }) }).parse(ha.find((d) => d.kind === "Deployment")?.doc).spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  it("is a valid configuration with the example Secrets filled in (needs DATABASE_URL=postgres:// support in lib/config.ts)", async () => {
    const [ha] = await rendered();
    const dep = containerEnvSchema.parse(ha.find((d) => d.kind === "Deployment")?.doc);
    const names = configEnvNames();
    const values: Record<string, string> = {};
    for (const e of dep.spec.template.spec.containers.find((c) => c.name === "console")?.env ?? []) {
      expect(names.has(e.name) || e.name in NON_CONFIG_ENV, `${e.name} is not read by lib/config.ts`).toBe(true);
      const ref = e.valueFrom?.secretKeyRef;
      const secret = ref?.name === haSecretExample.metadata.name ? haSecretExample : secretExample;
      if (ref) expect(Object.keys(secret.stringData), `${ref.name} has ${ref.key}`).toContain(ref.key);
      const v = e.value ?? (ref ? secret.stringData[ref.key] : undefined);
      if (v !== undefined) values[e.name] = v;
    }
    const config = parseConfig(values);
    expect(config.databaseUrl).toBe(haSecretExample.stringData["database-url"]);
  });

  it("grants the same least-privilege RBAC as the base, and opens only PostgreSQL's port to private addresses on top of its NetworkPolicy", async () => {
    const [ha, base] = await rendered();
    const roles = (docs: typeof ha) => docs.filter((d) => d.kind === "Role" || d.kind === "ClusterRole").map((d) => roleSchema.parse(d.doc));
    const required = requiredPermissions();
    for (const role of roles(ha)) {
      expect(granted(role), `${role.kind} ${role.metadata.name}`).toEqual(role.metadata.name === NODE_ROLE ? required.filter(isClusterScoped) : required.filter((p) => !isClusterScoped(p)));
    }
    expect(roles(ha)).toEqual(roles(base));
    const bindings = (docs: typeof ha) => docs.filter((d) => /Binding$/.test(d.kind)).map((d) => bindingSchema.parse(d.doc));
    expect(bindings(ha)).toEqual(bindings(base));
    for (const b of bindings(ha)) expect(b.subjects).toEqual([{ kind: "ServiceAccount", name: "triage-console", namespace: "monitoring" }]);

    const policy = networkPolicySchema.parse(ha.find((d) => d.kind === "NetworkPolicy")?.doc);
    const basePolicy = networkPolicySchema.parse(base.find((d) => d.kind === "NetworkPolicy")?.doc);
    expect(policy.spec.podSelector).toEqual(basePolicy.spec.podSelector);
    expect(ingressSummary(policy)).toEqual(ingressSummary(basePolicy));
    const added = egressSummary(policy).filter((r) => !egressSummary(basePolicy).includes(r));
    expect(egressSummary(policy)).toEqual([...egressSummary(basePolicy), ...added]);
    expect(added.sort()).toEqual(["5432/TCP -> 10.0.0.0/8", "5432/TCP -> 172.16.0.0/12", "5432/TCP -> 192.168.0.0/16"]);

    const service = (docs: typeof ha) => docs.find((d) => d.kind === "Service")?.doc;
    expect(service(ha)).toEqual(service(base));
  });
});

describe.runIf(hasKubectl)("the GKE overlay built on the ha overlay, as the README says", () => {
  it("keeps GKE's Ingress, BackendConfig and token mode with two replicas, the PodDisruptionBudget and no volume claim", async () => {
    const copy = mkdtempSync(join(tmp, "gke-ha-"));
    for (const dir of ["kubernetes", "ha", "gke"]) cpSync(join(DEPLOY, dir), join(copy, dir), { recursive: true });
    const file = join(copy, "gke", "kustomization.yaml");
    const before = readFileSync(file, "utf8");
    writeFileSync(file, before.replace(/^ {2}- \.\.\/kubernetes$/m, "  - ../ha"));
    expect(readFileSync(file, "utf8")).not.toBe(before);
    const docs = await render(join(copy, "gke"));
    expect(kindsOf(docs)).toEqual(expect.arrayContaining(["BackendConfig", "Ingress", "ManagedCertificate", "PodDisruptionBudget"]));
    expect(kindsOf(docs)).not.toContain("PersistentVolumeClaim");
    const dep = haDeploymentSchema.parse(docs.find((d) => d.kind === "Deployment")?.doc);
    expect(dep.spec.replicas).toBe(2);
    const env = new Map((dep.spec.template.spec.containers.find((c) => c.name === "console")?.env ?? []).map((e) => [e.name, e]));
    expect(env.get("AUTH_MODE")?.value).toBe("token");
    expect(env.get("DATABASE_URL")?.valueFrom?.secretKeyRef).toEqual({ name: "triage-console-database", key: "database-url" });
  });
});
