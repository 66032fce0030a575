{{/*
podguard.initContainer: the initcheck init container. It checks the variables the app is about to
read (database URL, API keys, signing secrets) and, on a bad value, exits 1 with the findings in
/dev/termination-log: the pod stays in Init:CrashLoopBackOff and `kubectl describe pod` shows why,
instead of the app failing at its first request. The value of a secret is never printed.
Usage:
  initContainers:
    {{- include "podguard.initContainer" (dict
          "config"  .Values.initcheck
          "require" (list
                      (dict "name" "DATABASE_URL" "kind" "postgres-url")
                      (dict "anyOf" (list (dict "name" "OPENAI_API_KEY" "kind" "openai-key")
                                          (dict "name" "ANTHROPIC_API_KEY" "kind" "anthropic-key"))))
          "env"     $appSecretEnv
          "context" $) | nindent 8 }}
Params:
  config   image {repository, tag, digest, pullPolicy}, resources, and initcheck's flags: strict
           (warnings fail too), connect + connectTimeout (try the database: bad credentials fail,
           an unreachable server does not), logFormat (text|json), extraArgs (list), name
           (default "initcheck"), runAsUser (default 65532, the image's user)
  require  list; each item is {name, kind} (one variable), {anyOf: [{name, kind}, ...]} (at least
           one of them must be set; every one that is set is checked) or a ready "NAME=KIND|..."
           string. Kinds: postgres-url, openai-key, anthropic-key, secret[:N], nonempty, http-url.
  env, envFrom  the same entries the app container gets, so initcheck sees the values the app will
           see. Mark secretKeyRef entries optional: true: a missing key then reaches initcheck,
           which names it, instead of stopping the pod at CreateContainerConfigError.
  context  the including chart's root context ($)
*/}}
{{- define "podguard.initContainer" -}}
{{- $config := .config | default dict -}}
{{- $requireArgs := list -}}
{{- range $i, $item := .require | default list -}}
  {{- if kindIs "string" $item -}}
    {{- $requireArgs = append $requireArgs (printf "--require=%s" $item) -}}
  {{- else -}}
    {{- $alternatives := ternary $item.anyOf (list $item) (hasKey $item "anyOf") -}}
    {{- $parts := list -}}
    {{- range $alternatives -}}
      {{- if or (not .name) (not .kind) -}}
        {{- fail (printf "podguard.initContainer: require[%d] needs a name and a kind, e.g. {name: DATABASE_URL, kind: postgres-url}" $i) -}}
      {{- end -}}
      {{- $parts = append $parts (printf "%s=%s" .name .kind) -}}
    {{- end -}}
    {{- if not $parts -}}
      {{- fail (printf "podguard.initContainer: require[%d].anyOf is empty" $i) -}}
    {{- end -}}
    {{- $requireArgs = append $requireArgs (printf "--require=%s" (join "|" $parts)) -}}
  {{- end -}}
{{- end -}}
{{- if not $requireArgs -}}
  {{- fail "podguard.initContainer: give at least one requirement, e.g. require: [{name: DATABASE_URL, kind: postgres-url}]" -}}
{{- end -}}
- name: {{ $config.name | default "initcheck" }}
  image: {{ include "podguard.image" (dict "image" $config.image "context" .context) | quote }}
  imagePullPolicy: {{ include "podguard.imagePullPolicy" $config.image }}
  args:
    {{- range $requireArgs }}
    - {{ . | quote }}
    {{- end }}
    {{- if $config.strict }}
    - "--strict"
    {{- end }}
    {{- if $config.connect }}
    - "--connect"
    {{- with $config.connectTimeout }}
    - {{ printf "--connect-timeout=%s" . | quote }}
    {{- end }}
    {{- end }}
    {{- with $config.logFormat }}
    - {{ printf "--log-format=%s" . | quote }}
    {{- end }}
    {{- range $config.extraArgs }}
    - {{ . | quote }}
    {{- end }}
  {{- with .env }}
  env:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .envFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  # initcheck writes its findings here (the kubelet creates the file); the logs are the fallback
  # when it could not (an internal error, exit 70).
  terminationMessagePath: /dev/termination-log
  terminationMessagePolicy: FallbackToLogsOnError
  securityContext:
    {{- $uid := $config.runAsUser | default 65532 }}
    {{- include "podguard.securityContext" (dict "runAsUser" $uid "runAsGroup" $uid) | nindent 4 }}
  {{- with $config.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
