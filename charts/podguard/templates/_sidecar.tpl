{{/*
podguard.sidecar.native: "true" when healthproxy runs as a native sidecar (an init container with
restartPolicy: Always), empty when it runs as a regular container. config.sidecarMode decides:
  auto     native on Kubernetes 1.29+ (sidecars are beta and on by default there), else regular
  native   always native (1.28 needs the SidecarContainers feature gate)
  regular  always a regular container
Usage:
  {{- if include "podguard.sidecar.native" (dict "config" .Values.healthproxy "context" $) }}
*/}}
{{- define "podguard.sidecar.native" -}}
{{- $mode := toString ((.config | default dict).sidecarMode | default "auto") -}}
{{- if eq $mode "native" -}}
true
{{- else if eq $mode "auto" -}}
{{- if semverCompare ">=1.29-0" .context.Capabilities.KubeVersion.Version -}}true{{- end -}}
{{- else if ne $mode "regular" -}}
{{- fail (printf "podguard: sidecarMode must be auto, native or regular, not %q" $mode) -}}
{{- end -}}
{{- end -}}

{{/*
podguard.sidecar: the healthproxy container. It takes the pod's traffic on ports.http (8080),
forwards it to the unchanged app on 127.0.0.1:upstreamPort, probes PostgreSQL, and serves /livez
/readyz /startupz /metrics /status on ports.admin (9901). Point the Service at ports.http.

Call it twice, once in initContainers and once in containers, with "in" saying where: exactly one
of the two calls renders the container, according to podguard.sidecar.native.
  - native: in initContainers (after initcheck) with restartPolicy: Always. The kubelet starts the
    app only once healthproxy's startupProbe passes, and stops healthproxy only after the app.
  - regular: in containers, next to the app.
Its preStop asks healthproxy to start draining (GET /drainz from 127.0.0.1) as soon as the pod
terminates, which matters for a native sidecar: the kubelet sends it SIGTERM only after the app.
The startupProbe is GET /livez, never the database: a database outage must not hold the pod in
Init. Readiness follows config.readinessGate (GET /servingz or /readyz); see podguard.probes.
Usage:
  initContainers:
    {{- include "podguard.sidecar" (dict "config" .Values.healthproxy "in" "initContainers"
          "upstreamPort" 8000 "env" $databaseUrlEnv "context" $) | nindent 8 }}
  containers:
    - name: app
      ...
    {{- include "podguard.sidecar" (dict "config" .Values.healthproxy "in" "containers"
          "upstreamPort" 8000 "env" $databaseUrlEnv "context" $) | nindent 4 }}
Params:
  config   image {repository, tag, digest, pullPolicy}; sidecarMode (auto|native|regular);
           ports {http: 8080, admin: 9901}; readinessGate (serving|database); databaseUrlEnv (default DATABASE_URL: the variable
           healthproxy reads the URL from, never a flag, which `ps` would show); flags: healthproxy
           flags by camelCase name (probeInterval: 5s -> --probe-interval=5s; a list repeats the
           flag, e.g. passthrough, corsAllowOrigin; an empty value keeps healthproxy's default);
           extraArgs (list); startupProbe, readinessProbe, livenessProbe ({enabled, native fields});
           resources; name (default "healthproxy"); runAsUser (default 65532, the image's user)
  in       "initContainers" or "containers"
  upstreamPort  the app's port inside the pod (default 8000)
  env, envFrom  must provide the databaseUrlEnv variable, typically a secretKeyRef
  context  the including chart's root context ($)
*/}}
{{- define "podguard.sidecar" -}}
{{- $config := .config | default dict -}}
{{- if not (has .in (list "initContainers" "containers")) -}}
  {{- fail (printf "podguard.sidecar: \"in\" must be \"initContainers\" or \"containers\", not %q" (toString .in)) -}}
{{- end -}}
{{- $native := include "podguard.sidecar.native" (dict "config" $config "context" .context) -}}
{{- if eq .in (ternary "initContainers" "containers" (eq $native "true")) -}}
{{- $httpPort := int (dig "ports" "http" 8080 $config) -}}
{{- $adminPort := int (dig "ports" "admin" 9901 $config) -}}
{{- $upstreamPort := int (.upstreamPort | default 8000) -}}
{{- $reserved := dict "listen" "ports.http" "upstream" "the upstreamPort parameter" "admin" "ports.admin" "dbUrl" "databaseUrlEnv (a flag would show the password in ps)" "dbUrlEnv" "databaseUrlEnv" -}}
- name: {{ $config.name | default "healthproxy" }}
  image: {{ include "podguard.image" (dict "image" $config.image "context" .context) | quote }}
  imagePullPolicy: {{ include "podguard.imagePullPolicy" $config.image }}
  {{- if $native }}
  restartPolicy: Always
  {{- end }}
  args:
    - {{ printf "--listen=0.0.0.0:%d" $httpPort | quote }}
    - {{ printf "--upstream=127.0.0.1:%d" $upstreamPort | quote }}
    - {{ printf "--admin=0.0.0.0:%d" $adminPort | quote }}
    - {{ printf "--db-url-env=%s" ($config.databaseUrlEnv | default "DATABASE_URL") | quote }}
    {{- range $name, $value := $config.flags }}
      {{- if hasKey $reserved $name }}
        {{- fail (printf "podguard.sidecar: flags.%s is set by the chart; use %s" $name (get $reserved $name)) }}
      {{- end }}
      {{- range (kindIs "slice" $value | ternary $value (list $value)) }}
        {{- if not (or (kindIs "invalid" .) (eq (toString .) "")) }}
    - {{ printf "--%s=%v" (kebabcase $name) (kindIs "float64" . | ternary (int64 .) .) | quote }}
        {{- end }}
      {{- end }}
    {{- end }}
    {{- range $config.extraArgs }}
    - {{ . | quote }}
    {{- end }}
  ports:
    - name: http-proxy
      containerPort: {{ $httpPort }}
      protocol: TCP
    - name: admin
      containerPort: {{ $adminPort }}
      protocol: TCP
  {{- with include "podguard.probes" (dict "config" $config "startup" true) }}
  {{- . | nindent 2 }}
  {{- end }}
  lifecycle:
    # The kubelet runs every container's preStop as the pod starts terminating; a native sidecar's
    # SIGTERM comes only after the app has exited. Draining from here closes kept-alive client
    # connections (Connection: close) while the app still answers. /drainz accepts only loopback.
    preStop:
      exec:
        command: ["/healthproxy", "probe", {{ printf "http://127.0.0.1:%d/drainz" $adminPort | quote }}]
  {{- with .env }}
  env:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .envFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- $uid := $config.runAsUser | default 65532 }}
    {{- include "podguard.securityContext" (dict "runAsUser" $uid "runAsGroup" $uid) | nindent 4 }}
  {{- with $config.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- end -}}
