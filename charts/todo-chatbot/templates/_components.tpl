{{/*
todo-chatbot.componentName: the fullname a component chart gives its resources, computed here with
that chart's own helper (todo-common.fullname) on its values: "<release>-frontend", or what its
fullnameOverride / nameOverride say.
Usage: {{ include "todo-chatbot.componentName" (dict "component" "frontend" "context" $) }}
*/}}
{{- define "todo-chatbot.componentName" -}}
{{- $values := index .context.Values .component | default dict -}}
{{- include "todo-common.fullname" (dict "Chart" (dict "Name" .component) "Values" $values "Release" .context.Release) -}}
{{- end -}}

{{/*
todo-chatbot.backendService: the backend Service's name (global.backendService.name, a template)
and port: what the frontend's BACKEND_URL, the Ingress and NOTES.txt name.
Usage: {{- $backend := include "todo-chatbot.backendService" . | fromYaml }} ($backend.name, $backend.port)
*/}}
{{- define "todo-chatbot.backendService" -}}
name: {{ tpl (toString .Values.global.backendService.name) . }}
port: {{ .Values.global.backendService.port }}
{{- end -}}
