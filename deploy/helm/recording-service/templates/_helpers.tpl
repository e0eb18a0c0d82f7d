{{/* Names and labels. */}}
{{- define "recording.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "recording.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "recording.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "recording.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component (api, worker, migrate, cron). */}}
{{- define "recording.selector" -}}
app.kubernetes.io/name: {{ include "recording.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "recording.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "recording.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "recording.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "recording.signingKeyFile" -}}
{{ .Values.signingKey.mountPath }}/{{ .Values.signingKey.key }}
{{- end -}}

{{/* The environment every process of the service gets (API, worker, CronJobs): the shared settings, the database
     and the store from existing Secrets, the signing key file, /tmp as the only writable place. */}}
{{- define "recording.env" -}}
- name: RECORDING_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.urlKey }}
- name: RECORDING_STORAGE_URL
  value: {{ printf "s3://%s%s" .Values.storage.bucket (ternary (printf "/%s" (trimAll "/" .Values.storage.prefix)) "" (ne (trimAll "/" .Values.storage.prefix) "")) | quote }}
{{- with .Values.storage.endpoint }}
- name: RECORDING_S3_ENDPOINT_URL
  value: {{ . | quote }}
{{- end }}
- name: AWS_REGION
  value: {{ .Values.storage.region | quote }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .Values.storage.existingSecret }}
      key: {{ .Values.storage.accessKeyIdKey }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.storage.existingSecret }}
      key: {{ .Values.storage.secretAccessKeyKey }}
- name: RECORDING_SIGNING_KEY_FILE
  value: {{ include "recording.signingKeyFile" . | quote }}
- name: RECORDING_TRUSTED_PROXIES
  value: {{ .Values.trustedProxies | quote }}
- name: RECORDING_RUN_WORKER
  value: "false"
{{- with .Values.metrics.tokenSecret.name }}
- name: RECORDING_METRICS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.metrics.tokenSecret.key }}
{{- end }}
- name: TMPDIR
  value: /tmp
- name: HOME
  value: /tmp
- name: PYTHONDONTWRITEBYTECODE
  value: "1"
{{- range $name, $value := .Values.config }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{- define "recording.volumeMounts" -}}
- name: signing-key
  mountPath: {{ .Values.signingKey.mountPath }}
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "recording.volumes" -}}
- name: signing-key
  secret:
    secretName: {{ .root.Values.signingKey.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ .root.Values.signingKey.key }}
        path: {{ .root.Values.signingKey.key }}
- name: tmp
  emptyDir:
    sizeLimit: {{ .tmpSizeLimit }}
{{- end -}}
