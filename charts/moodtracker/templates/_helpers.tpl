{{/*
Names, labels and small derived values shared by every template.
*/}}

{{/* The chart name, overridable with nameOverride. */}}
{{- define "moodtracker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release-qualified base name. Kept to 40 characters so that the longest suffix added to it
("-inference-headless", 19) still fits in a 63-character DNS label.
*/}}
{{- define "moodtracker.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "moodtracker.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "moodtracker.gateway.fullname" -}}
{{- printf "%s-gateway" (include "moodtracker.fullname" .) }}
{{- end }}

{{- define "moodtracker.inference.fullname" -}}
{{- printf "%s-inference" (include "moodtracker.fullname" .) }}
{{- end }}

{{/* The headless Service the gateway resolves to reach every inference pod (client-side balancing). */}}
{{- define "moodtracker.inference.headless" -}}
{{- printf "%s-inference-headless" (include "moodtracker.fullname" .) }}
{{- end }}

{{/* Labels every resource carries (Kubernetes' recommended app.kubernetes.io set). */}}
{{- define "moodtracker.labels" -}}
helm.sh/chart: {{ include "moodtracker.chart" . }}
app.kubernetes.io/name: {{ include "moodtracker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: moodtracker
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of one component; call with (dict "ctx" $ "component" "gateway"). */}}
{{- define "moodtracker.componentLabels" -}}
{{ include "moodtracker.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Immutable selector labels of one component; same arguments as componentLabels. */}}
{{- define "moodtracker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "moodtracker.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "moodtracker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "moodtracker.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding JWT_SECRET_KEY and SECRET_KEY: the user's, or the chart's. */}}
{{- define "moodtracker.secretName" -}}
{{- default (include "moodtracker.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* "image:tag", the tag defaulting to the chart's appVersion; call with (dict "image" X "ctx" $). */}}
{{- define "moodtracker.image" -}}
{{- $tag := default (printf "%s%s" .ctx.Chart.AppVersion (.tagSuffix | default "")) .image.tag }}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository $tag }}
{{- end }}
{{- end }}

{{/* The inference image: the CUDA one when the GPU switch is on. */}}
{{- define "moodtracker.inference.image" -}}
{{- if .Values.inference.gpu.enabled }}
{{- include "moodtracker.image" (dict "image" .Values.inference.gpu.image "ctx" . "tagSuffix" "-cuda") }}
{{- else }}
{{- include "moodtracker.image" (dict "image" .Values.inference.image "ctx" .) }}
{{- end }}
{{- end }}

{{/* Whether the gateway talks to an external database / Redis (else SQLite / in-memory). */}}
{{- define "moodtracker.database.external" -}}
{{- if or .Values.database.url .Values.database.existingSecret }}true{{ end }}
{{- end }}
{{- define "moodtracker.redis.external" -}}
{{- if or .Values.redis.url .Values.redis.existingSecret }}true{{ end }}
{{- end }}

{{/* The TCP port of a URL, or a default; call with (list URL DEFAULT). */}}
{{- define "moodtracker.urlPort" -}}
{{- $url := index . 0 }}
{{- $port := index . 1 }}
{{- if $url }}
{{- $host := (urlParse $url).host }}
{{- if regexMatch ":[0-9]+$" $host }}
{{- $port = regexFind "[0-9]+$" $host }}
{{- end }}
{{- end }}
{{- $port }}
{{- end }}

{{/*
Refusals at render time: combinations that would deploy something broken or unsafe.
*/}}
{{- define "moodtracker.validate" -}}
{{- $g := .Values.gateway }}
{{- $multi := or (gt (int $g.replicaCount) 1) $g.autoscaling.enabled }}
{{- if and $multi (not (include "moodtracker.database.external" .)) }}
{{- fail "gateway: more than one replica (replicaCount > 1 or autoscaling.enabled) needs database.url or database.existingSecret: each replica would otherwise keep its own SQLite file" }}
{{- end }}
{{- if eq $g.appEnv "production" }}
{{- if not (include "moodtracker.database.external" .) }}
{{- fail "gateway.appEnv=production needs database.url or database.existingSecret (PostgreSQL)" }}
{{- end }}
{{- if not (include "moodtracker.redis.external" .) }}
{{- fail "gateway.appEnv=production needs redis.url or redis.existingSecret" }}
{{- end }}
{{- end }}
{{- if ge (int $g.shutdownGraceSeconds) (int $g.terminationGracePeriodSeconds) }}
{{- fail "gateway.shutdownGraceSeconds must be less than gateway.terminationGracePeriodSeconds: the kubelet would kill the drain" }}
{{- end }}
{{- if ge (int .Values.inference.drainTimeoutSeconds) (int .Values.inference.terminationGracePeriodSeconds) }}
{{- fail "inference.drainTimeoutSeconds must be less than inference.terminationGracePeriodSeconds: the kubelet would kill the drain" }}
{{- end }}
{{- $src := .Values.inference.model.source }}
{{- if and (eq $src "pvc") (not .Values.inference.model.pvc.claimName) }}
{{- fail "inference.model.source=pvc needs inference.model.pvc.claimName" }}
{{- end }}
{{- if and (eq $src "huggingface") (or (not .Values.inference.model.huggingface.roberta.repo) (not .Values.inference.model.huggingface.lstm.repo)) }}
{{- fail "inference.model.source=huggingface needs inference.model.huggingface.roberta.repo and .lstm.repo" }}
{{- end }}
{{- end }}

{{/*
INFERENCE_THREADS: inference.threads, or else the CPU request rounded up ("1" -> 1, "1500m" -> 2,
"2.5" -> 3), or else "" (unset: the process counts the CPUs it may use).
*/}}
{{- define "moodtracker.inference.threads" -}}
{{- $inf := .Values.inference -}}
{{- if $inf.threads -}}
{{- $inf.threads -}}
{{- else -}}
{{- $cpu := toString (dig "requests" "cpu" "" ($inf.resources | default dict)) -}}
{{- if hasSuffix "m" $cpu -}}
{{- max 1 (div (add (atoi (trimSuffix "m" $cpu)) 999) 1000) -}}
{{- else if $cpu -}}
{{- max 1 (int (ceil (float64 $cpu))) -}}
{{- end -}}
{{- end -}}
{{- end }}
