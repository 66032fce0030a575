{{/*
todo-common.podDisruptionBudget: a component's PodDisruptionBudget when it runs more than one replica
(values: replicas, podDisruptionBudget.{enabled, maxUnavailable, unhealthyPodEvictionPolicy}). A
node drain (minikube node drain, a cluster upgrade) then evicts the pods one at a time while another
keeps serving. With one replica a PDB would block the drain instead, so none is rendered.
Usage: {{- include "todo-common.podDisruptionBudget" (dict "component" "backend" "context" $) }}
*/}}
{{- define "todo-common.podDisruptionBudget" -}}
{{- $v := .context.Values -}}
{{- if and $v.podDisruptionBudget.enabled (gt (int $v.replicas) 1) }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "todo-common.fullname" .context }}
  labels:
    {{- include "todo-common.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ $v.podDisruptionBudget.maxUnavailable }}
  {{- /* A not-ready pod (the backend's under readinessGate: database during an outage) would count
         as disrupted already: the PDB allows 0 disruptions and `kubectl drain` hangs. AlwaysAllow
         lets not-ready pods go. */}}
  {{- with $v.podDisruptionBudget.unhealthyPodEvictionPolicy }}
  {{- if semverCompare ">=1.27-0" $.context.Capabilities.KubeVersion.Version }}
  unhealthyPodEvictionPolicy: {{ . }}
  {{- end }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "todo-common.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}
