{{/* The chart's name, or nameOverride. */}}
{{- define "moat.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's objects' name: fullnameOverride, else RELEASE-moat. */}}
{{- define "moat.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "moat.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "moat.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "moat.selectorLabels" -}}
app.kubernetes.io/name: {{ include "moat.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "moat.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "moat.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "moat.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Whether the ConfigMap has anything to hold. */}}
{{- define "moat.hasConfig" -}}
{{- if or .Values.manifests .Values.policy .Values.pull.trust .Values.pull.lock (eq .Values.auth.mode "oauth") }}true{{ end }}
{{- end }}

{{/* The mounts of manifests and the lock into the plugin volume, one file each. */}}
{{- define "moat.pluginFileMounts" -}}
{{- range $name, $_ := .Values.manifests }}
- name: config
  mountPath: /plugins/{{ $name }}.toml
  subPath: manifest-{{ $name }}.toml
  readOnly: true
{{- end }}
{{- if .Values.pull.lock }}
- name: config
  mountPath: /plugins/moat.lock
  subPath: moat.lock
  readOnly: true
{{- end }}
{{- end }}
