{{/*
todo-common.selectorLabels: the labels a component's Service, workload and NetworkPolicy select on.
They never change after the first install (a Deployment's selector is immutable).
Usage: {{- include "todo-common.selectorLabels" (dict "component" "backend" "context" $) | nindent 6 }}
       ("component" names the pods: backend, frontend, postgresql, or test for a helm test pod)
*/}}
{{- define "todo-common.selectorLabels" -}}
app.kubernetes.io/name: {{ include "todo-common.applicationName" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{/*
todo-common.labels: the app.kubernetes.io/* labels of every resource, plus global.commonLabels
and the chart's commonLabels (which win).
Usage: {{- include "todo-common.labels" (dict "component" "backend" "context" $) | nindent 4 }}
*/}}
{{- define "todo-common.labels" -}}
{{ include "todo-common.selectorLabels" . }}
app.kubernetes.io/version: {{ .context.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
{{- with dig "applicationName" "" (.context.Values.global | default dict) }}
app.kubernetes.io/part-of: {{ . }}
{{- end }}
helm.sh/chart: {{ printf "%s-%s" .context.Chart.Name .context.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- with merge (deepCopy (.context.Values.commonLabels | default dict)) (dig "commonLabels" dict (.context.Values.global | default dict)) }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
todo-common.applicationName: the app.kubernetes.io/name label: global.applicationName when an umbrella
sets it (todo-chatbot sets "todo-chatbot": the value 0.1.x's single chart used, so the Deployments'
and the StatefulSet's immutable selectors are the same and `helm upgrade` from 0.1.x can update them
in place), else the chart's name (nameOverride). Kubernetes' recommended labels: name is the
application, component the part of it.
Usage: {{ include "todo-common.applicationName" . }}
*/}}
{{- define "todo-common.applicationName" -}}
{{- dig "applicationName" "" (.Values.global | default dict) | default (include "todo-common.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
