#!/usr/bin/env bash
# Brings up a local kind cluster with kubernetes-sigs/agent-sandbox (v1beta1, with extensions) installed,
# LAP's namespace and RBAC, and a kubeconfig for LAP running outside the cluster:
#
#   bin/kind-up.sh                    # cluster "lap", agent-sandbox v1.0.2
#   K8S_KUBECONFIG=.lap/kind.kubeconfig LAP_SANDBOX=kubernetes K8S_NAMESPACE=lap-sandboxes \
#     K8S_SUPERVISOR_ACCESS=apiserver-proxy npm start
#
# Sandbox images must be loaded into the nodes (K8S_IMAGE_PULL_POLICY=Never, the default) with
# `kind load docker-image <image> --name lap`, or pulled from a registry with IfNotPresent.
# Needs: docker (or podman), kind, kubectl. Idempotent: re-running reuses the cluster.
set -euo pipefail

CLUSTER="${KIND_CLUSTER:-lap}"
AGENT_SANDBOX_VERSION="${AGENT_SANDBOX_VERSION:-v1.0.2}"
NAMESPACE="${K8S_NAMESPACE:-lap-sandboxes}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUBECONFIG_OUT="${KUBECONFIG_OUT:-$ROOT/.lap/kind.kubeconfig}"
RELEASE="https://github.com/kubernetes-sigs/agent-sandbox/releases/download/${AGENT_SANDBOX_VERSION}"

need() { command -v "$1" >/dev/null 2>&1 || { echo "kind-up: '$1' is not installed ($2)" >&2; exit 1; }; }
need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
need kubectl "https://kubernetes.io/docs/tasks/tools/"

if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  echo "kind-up: cluster '$CLUSTER' exists, reusing it"
else
  kind create cluster --name "$CLUSTER" --wait 120s
fi
CTX="kind-$CLUSTER"

echo "kind-up: installing agent-sandbox ${AGENT_SANDBOX_VERSION} (core + extensions)"
kubectl --context "$CTX" apply --server-side -f "${RELEASE}/sandbox-with-extensions.yaml"
kubectl --context "$CTX" -n agent-sandbox-system rollout status deployment/agent-sandbox-controller --timeout=180s
for crd in sandboxes.agents.x-k8s.io sandboxtemplates.extensions.agents.x-k8s.io sandboxclaims.extensions.agents.x-k8s.io sandboxwarmpools.extensions.agents.x-k8s.io; do
  kubectl --context "$CTX" wait --for condition=established --timeout=60s "crd/$crd"
done
if ! kubectl --context "$CTX" get crd sandboxclaims.extensions.agents.x-k8s.io -o jsonpath='{.spec.versions[*].name}' | grep -qw v1beta1; then
  echo "kind-up: agent-sandbox ${AGENT_SANDBOX_VERSION} does not serve v1beta1; LAP needs v0.5.2 or later" >&2
  exit 1
fi

echo "kind-up: namespace ${NAMESPACE} and LAP's RBAC"
sed "s/lap-sandboxes/${NAMESPACE}/g" "$ROOT/deploy/k8s/rbac.yaml" | kubectl --context "$CTX" apply -f -
# The sandbox pods' NetworkPolicy (LAP in; LAP and DNS out). kind's default CNI (kindnet) does not enforce
# NetworkPolicy: this documents intent here; a cluster with Calico/Cilium enforces it.
sed "s/lap-sandboxes/${NAMESPACE}/g" "$ROOT/deploy/k8s/network-policy.yaml" | kubectl --context "$CTX" apply -f -

# LAP's kubeconfig carries the service account's token, not kind's cluster-admin certificate, so local
# development runs with exactly the permissions of deploy/k8s/rbac.yaml (and finds out when one is missing).
mkdir -p "$(dirname "$KUBECONFIG_OUT")"
umask 077
kind get kubeconfig --name "$CLUSTER" > "$KUBECONFIG_OUT"
TOKEN="$(kubectl --context "$CTX" -n "$NAMESPACE" create token lap --duration=24h)"
kubectl --kubeconfig "$KUBECONFIG_OUT" config set-credentials lap --token="$TOKEN" >/dev/null
kubectl --kubeconfig "$KUBECONFIG_OUT" config set-context lap --cluster="$CTX" --user=lap --namespace="$NAMESPACE" >/dev/null
kubectl --kubeconfig "$KUBECONFIG_OUT" config use-context lap >/dev/null
kubectl --kubeconfig "$KUBECONFIG_OUT" config unset "users.$CTX" >/dev/null
kubectl --kubeconfig "$KUBECONFIG_OUT" config delete-context "$CTX" >/dev/null
echo "kind-up: ready. kubeconfig (service account lap, token valid 24 h; re-run to renew): $KUBECONFIG_OUT"
echo "  K8S_KUBECONFIG=$KUBECONFIG_OUT K8S_NAMESPACE=$NAMESPACE LAP_SANDBOX=kubernetes npm start"
