import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { DEPLOY, readYamlDocs } from "./helpers";

const K8S = join(DEPLOY, "kubernetes");

const storageClassSchema = z.object({
  apiVersion: z.literal("storage.k8s.io/v1"),
  kind: z.literal("StorageClass"),
  metadata: z.object({ name: z.string() }),
  provisioner: z.string(),
  parameters: z.record(z.string(), z.string()),
  reclaimPolicy: z.string(),
  volumeBindingMode: z.string(),
  allowVolumeExpansion: z.boolean(),
});
const pvcSchema = z.object({ kind: z.literal("PersistentVolumeClaim"), spec: z.object({ storageClassName: z.string() }) });

describe("the database's storage", () => {
  const docs = readYamlDocs(join(K8S, "storageclass.yaml"));
  const sc = storageClassSchema.parse(docs[0]);
  const pvc = pvcSchema.parse(readYamlDocs(join(K8S, "pvc.yaml"))[0]);

  it("keeps the disk when the claim goes (Retain), binds in the pod's zone, and can grow", () => {
    expect(docs).toHaveLength(1);
    expect(sc).toMatchObject({
      provisioner: "pd.csi.storage.gke.io",
      parameters: { type: "pd-balanced" },
      reclaimPolicy: "Retain",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    });
    expect(pvc.spec.storageClassName).toBe(sc.metadata.name);
  });
});
