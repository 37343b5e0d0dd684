#!/usr/bin/env bash
# Brings up a local kind cluster with kubernetes-sigs/agent-sandbox (v1beta1, with extensions) installed,
# LAP's namespace and RBAC, the LAP image (root Dockerfile, lap:dev) and the three harness images
# (deploy/images/Dockerfile, lap-harness-<harness>:dev) built and loaded into the nodes, and a kubeconfig
# for LAP running outside the cluster:
#
#   bin/kind-up.sh                    # cluster "lap", agent-sandbox v1.0.2
#   K8S_KUBECONFIG=.lap/kind.kubeconfig LAP_SANDBOX=kubernetes K8S_NAMESPACE=lap-sandboxes \
#     K8S_SUPERVISOR_ACCESS=apiserver-proxy K8S_HARNESS_IMAGE=lap-harness-opencode:dev npm start
#
# or LAP itself in the cluster (deploy/k8s/lap.yaml runs lap:dev): README.md, "Deploy".
# LAP_IMAGES=0 skips building and loading the images. Needs: docker (or podman), kind, kubectl.
# Idempotent: re-running reuses the cluster (and the image build cache).
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
if [ "${LAP_IMAGES:-1}" = 1 ]; then
  if command -v docker >/dev/null 2>&1; then BUILDER=docker; elif command -v podman >/dev/null 2>&1; then BUILDER=podman; else
    echo "kind-up: neither docker nor podman is installed (needed to build the images; LAP_IMAGES=0 skips them)" >&2; exit 1
  fi
fi

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

if [ "${LAP_IMAGES:-1}" = 1 ]; then
  # The same builds CI runs (scripts/image/image-test.ts); CLI versions as package.json pins them.
  version() { grep -F "\"$1\": " "$ROOT/package.json" | head -1 | sed 's/.*: "[^0-9]*\([0-9][^"]*\)".*/\1/'; }
  load() {
    if [ "$BUILDER" = docker ]; then kind load docker-image "$1" --name "$CLUSTER"; else
      archive="$(mktemp)"; podman save --format docker-archive -o "$archive" "$1"; kind load image-archive "$archive" --name "$CLUSTER"; rm -f "$archive"
    fi
  }
  echo "kind-up: building lap:dev (root Dockerfile) with $BUILDER"
  "$BUILDER" build -t lap:dev "$ROOT"
  load lap:dev
  for pair in "opencode:opencode-ai" "claude-code:@anthropic-ai/claude-code" "codex:@openai/codex"; do
    harness="${pair%%:*}"; package="${pair#*:}"
    echo "kind-up: building lap-harness-${harness}:dev (${package}@$(version "$package"))"
    "$BUILDER" build -f "$ROOT/deploy/images/Dockerfile" --build-arg "HARNESS=$harness" \
      --build-arg "CLI_PACKAGE=${package}@$(version "$package")" -t "lap-harness-${harness}:dev" "$ROOT"
    load "lap-harness-${harness}:dev"
  done
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
