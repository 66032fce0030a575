{{/*
backend.serviceName: the backend Service's name: service.name, else global.backendService.name (a
template: the umbrella chart sets "{{ .Release.Name }}-backend", and its frontend and Ingress use
the same value), else the fullname.
Usage: {{ include "backend.serviceName" . }}
*/}}
{{- define "backend.serviceName" -}}
{{- $global := dig "backendService" "name" "" (.Values.global | default dict) -}}
{{- .Values.service.name | default (tpl $global .) | default (include "todo-common.fullname" .) -}}
{{- end -}}
