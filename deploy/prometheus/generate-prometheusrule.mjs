// Writes prometheusrule.yaml (for the Prometheus Operator) from model-alerts.rules.yml, the one source
// that promtool checks and tests. Run after editing the rule file:
//   node deploy/prometheus/generate-prometheusrule.mjs
// test/deploy/promtool.test.ts fails when the two files disagree.
import { readFileSync, writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";

const dir = new URL(".", import.meta.url);
const rules = parse(readFileSync(new URL("model-alerts.rules.yml", dir), "utf8"));

const resource = {
  apiVersion: "monitoring.coreos.com/v1",
  kind: "PrometheusRule",
  metadata: {
    name: "model-alerts",
    namespace: "monitoring",
    labels: {
      "app.kubernetes.io/name": "triage-console",
      "app.kubernetes.io/component": "alert-rules",
      // kube-prometheus-stack only loads rules whose labels match its ruleSelector (by default the
      // Helm release name); change this to your release.
      release: "kube-prometheus-stack",
    },
  },
  spec: rules,
};

const header =
  "# GENERATED from model-alerts.rules.yml by generate-prometheusrule.mjs: edit that file, then re-run the script.\n" +
  "# The five model-serving alert rules as a Prometheus Operator resource: kubectl apply -f deploy/prometheus/prometheusrule.yaml\n";

writeFileSync(new URL("prometheusrule.yaml", dir), header + stringify(resource, { lineWidth: 0 }));
console.log("wrote deploy/prometheus/prometheusrule.yaml");
