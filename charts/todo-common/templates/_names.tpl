{{/*
todo-common.name: the chart name, or nameOverride.
Usage: {{ include "todo-common.name" . }}
*/}}
{{- define "todo-common.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
todo-common.fullname: the prefix of the chart's resource names: fullnameOverride, else
"<release>-<name>", else the release name alone when it already contains the name (so the umbrella
release "todo-chatbot" names its components todo-chatbot-backend, todo-chatbot-frontend,
todo-chatbot-postgresql, and `helm install backend charts/backend` names them "backend"). Cut to 52
characters: a StatefulSet's pod and revision-hash label values are built on it.
Usage: {{ include "todo-common.fullname" . }}
*/}}
{{- define "todo-common.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
todo-common.serviceAccountName: the ServiceAccount the chart's pods run as.
Usage: serviceAccountName: {{ include "todo-common.serviceAccountName" . }}
*/}}
{{- define "todo-common.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "todo-common.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}
