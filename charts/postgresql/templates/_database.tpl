{{/*
postgresql.secretName: the Secret with the password: auth.existingSecret, else the one the chart
creates ("<fullname>", which also holds database-url).
Usage: {{ include "postgresql.secretName" . }}
*/}}
{{- define "postgresql.secretName" -}}
{{- .Values.auth.existingSecret | default (include "todo-common.fullname" .) -}}
{{- end -}}

{{/*
postgresql.databaseUrl: the URL a client of this server uses, built at install time from auth and
the Service's name and port. Every part is percent-encoded, so any password works.
Usage: {{ include "postgresql.databaseUrl" . }}
*/}}
{{- define "postgresql.databaseUrl" -}}
{{- $auth := .Values.auth -}}
{{- /* urlquery percent-encodes everything but unreserved characters; it writes a space as "+",
       which a URL's user info reads literally, so "+" (only ever a space here) becomes %20. */ -}}
{{- printf "%s://%s:%s@%s:%d/%s" .Values.urlScheme (urlquery $auth.username | replace "+" "%20") (urlquery $auth.password | replace "+" "%20") (include "todo-common.fullname" .) (int .Values.service.port) (urlquery $auth.database | replace "+" "%20") -}}
{{- end -}}
