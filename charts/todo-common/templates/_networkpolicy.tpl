{{/*
todo-common.networkPolicy: a NetworkPolicy for one component's pods: ingress only on the ports it
serves (from the pods "from" selects, else from anywhere), nothing when no port is given (a helm test
pod); egress open (DNS, Neon, the AI providers' APIs: hosts outside the cluster, whose addresses a
NetworkPolicy cannot name). Minikube's default CNI does not enforce NetworkPolicies:
`minikube start --cni=calico` does.
Usage: {{- include "todo-common.networkPolicy" (dict "component" "backend" "name" $name "ports" (list 8080 9901) "context" $) }}
Params:
  component  the pods' app.kubernetes.io/component
  name       the NetworkPolicy's name
  ports      the TCP ports admitted; empty: no ingress at all
  from       (optional) a list of NetworkPolicyPeer objects allowed to reach the ports
*/}}
{{- define "todo-common.networkPolicy" -}}
{{- $component := dict "component" .component "context" .context -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ .name }}
  labels:
    {{- include "todo-common.labels" $component | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "todo-common.selectorLabels" $component | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  {{- if .ports }}
  ingress:
    - ports:
        {{- range .ports }}
        - port: {{ . }}
          protocol: TCP
        {{- end }}
      {{- with .from }}
      from:
        {{- toYaml . | nindent 8 }}
      {{- end }}
  {{- else }}
  ingress: []
  {{- end }}
  egress:
    - {}
{{- end -}}
