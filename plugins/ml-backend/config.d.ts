export interface Config {
  /** Configuration of the ML platform plugins. */
  ml?: {
    /** Settings of the portal's sample permission policy (packages/backend, docs/permissions.md). */
    permissions?: {
      /**
       * Entity refs of the groups whose members read everyone's ML audit
       * trail (`ml.audit.read`). Default `[group:default/platform-team]`.
       */
      adminGroups?: string[];
    };
    /**
     * Kubernetes clusters whose GPU quotas, Kueue queues and notebooks the ML
     * backend reads and manages. Each cluster is reached by exactly one of:
     * `url` (+ `token` and `caData`/`caFile`), `kubeconfig`, or `serviceAccount: true`.
     */
    kubernetes?: {
      /**
       * Namespace label naming the team that owns the namespace's GPU quota,
       * e.g. `fraud-team` or `group:default/fraud-team`. An annotation
       * `mlplatform.io/owner` on the namespace works too. Default `mlplatform.io/team`.
       */
      teamLabel?: string;
      /** How long quota data of a cluster is cached, in seconds. Default 30. */
      refreshSeconds?: number;
      /** Timeout of one request to a cluster's API server, in seconds. Default 10. */
      requestTimeoutSeconds?: number;
      /**
       * How long a notebook creation may take to write its objects, in
       * seconds, before it counts as abandoned (its replica died): its GPUs
       * stop counting and a scheduled sweep deletes what was created of it.
       * Default 120.
       */
      creationTimeoutSeconds?: number;
      clusters?: Array<{
        /** Cluster name, as used in GpuQuota entities' `spec.cluster`. */
        name: string;
        /** API server URL, e.g. https://k8s.example.com:6443. */
        url?: string;
        /**
         * Bearer token of a service account allowed to read quotas and manage notebooks.
         * @visibility secret
         */
        token?: string;
        /** Base64-encoded PEM CA bundle of the API server. */
        caData?: string;
        /** Path to a PEM CA bundle of the API server. */
        caFile?: string;
        /** Path to a kubeconfig file; `context` picks a context other than its current one. */
        kubeconfig?: string;
        /** Context to use from `kubeconfig`. */
        context?: string;
        /** Use the in-cluster service account of the pod the backend runs in. */
        serviceAccount?: boolean;
        /**
         * Skip TLS verification. Only for local test clusters; never in production.
         */
        skipTLSVerify?: boolean;
        /**
         * Where a notebook on this cluster opens, e.g.
         * `https://jupyter.example.com/notebook/{{namespace}}/{{name}}/`.
         */
        notebookUrl?: string;
      }>;
    };
    /** Notebooks created through the portal. */
    notebooks?: {
      /**
       * Idle GPUs (docs/notebooks.md, "Idle GPUs"): notebooks whose GPUs DCGM
       * reports below `threshold` for longer than `after`, read from
       * `ml.prometheus` with one query per cycle. Detection runs whenever
       * Prometheus is configured; the policy only with an `action`.
       */
      idle?: {
        /** Percent of GPU utilisation below which a GPU is idle, in (0, 100]. Default 5. */
        threshold?: number;
        /** How long it must stay below, e.g. `30m`, `3h`, `1d` (at least 1m). Default `1h`. */
        after?: string;
        /**
         * `notify`: tell the owner (Backstage notifications) once per idle
         * period; `stop`: warn the same way, then stop the notebook `warning`
         * later if still idle. Absent: show idle notebooks only. A notebook
         * annotated `mlplatform.io/idle-policy: exempt` is left alone.
         */
        action?: 'notify' | 'stop';
        /** With `stop`: time between the warning and the stop. Default `1h`. */
        warning?: string;
        /** How often the policy runs (once across replicas). Default `5m`. */
        frequency?: string;
        /**
         * When one Prometheus holds several clusters' DCGM series: the label
         * naming the cluster (e.g. `cluster` from its external labels), whose
         * values are the names under `ml.kubernetes.clusters`. Without it a
         * namespace/pod found on two clusters is not judged.
         */
        clusterLabel?: string;
      };
    };
    /**
     * A JupyterHub that runs the notebooks of some teams' namespaces as named
     * servers of the user (docs/notebooks.md). Those notebooks pass the same
     * quota, permission and audit checks as the Kubernetes ones; JupyterHub
     * gets the team's profile (GPUs, CPU, memory, image) as `user_options`.
     */
    jupyterhub?: {
      /**
       * Base URL of JupyterHub as the backend reaches it, e.g.
       * `http://proxy-public.jupyterhub:80`; its REST API is `<url>/hub/api`.
       * Only this host is ever contacted.
       */
      url: string;
      /**
       * Token of a JupyterHub service with the scopes `admin:users`,
       * `admin:servers` and `access:servers`. Never sent to the browser.
       * @visibility secret
       */
      apiToken: string;
      /**
       * Base URL the browser opens notebooks at, e.g.
       * `https://hub.example.com`. Default `url`.
       */
      publicUrl?: string;
      /**
       * Which notebooks go to JupyterHub: a namespace listed here (on its
       * cluster of `ml.kubernetes.clusters`, whose quota is checked) gets
       * JupyterHub named servers instead of Kubernetes objects. Leave
       * `namespaces` out to serve every namespace of the cluster.
       */
      serves: Array<{
        /** A cluster name of `ml.kubernetes.clusters`. */
        cluster: string;
        /** Namespaces of that cluster; all when absent. */
        namespaces?: string[];
      }>;
      /**
       * Images a JupyterHub notebook may ask for (exact references); any
       * image the request schema accepts when absent.
       */
      images?: string[];
      /** Timeout of one REST call to JupyterHub, in seconds. Default 10. */
      requestTimeoutSeconds?: number;
    };
    /**
     * The TensorBoard whose data API shows a run's scalars on its experiment
     * card (docs/experiments.md, "TensorBoard"). A run names its event files
     * with the MLflow run tag `mlplatform.io/tensorboard-logdir`; the
     * directory must be under one of `logRoots`.
     */
    tensorboard?: {
      /**
       * Base URL of TensorBoard as the backend reaches it, e.g.
       * `http://tensorboard.ml:6006`. Only this host is ever contacted; a
       * run's tag names a directory, never a host.
       */
      url: string;
      /** Base URL the browser opens ("Open TensorBoard"). Default `url`. */
      publicUrl?: string;
      /**
       * Absolute directories a run's log dir may be in (the volume
       * TensorBoard serves with `--logdir`); any other is refused with 400.
       */
      logRoots: string[];
      /** Timeout of one request to TensorBoard, in seconds. Default 10. */
      requestTimeoutSeconds?: number;
      /**
       * Start a run's own TensorBoard on a Kubeflow cluster ("Start on
       * cluster"): a `tensorboard.kubeflow.org/v1alpha1` Tensorboard in the
       * namespace of the PVC holding the run's log dir, owned by the user.
       */
      kubeflow?: {
        /** A cluster name of `ml.kubernetes.clusters`. */
        cluster: string;
        /** Kubeflow's gateway; a TensorBoard is served at `<url>/tensorboard/<namespace>/<name>/`. */
        url: string;
        /** Where each of `logRoots` is on the cluster: a PVC in a team's namespace. */
        volumes: Array<{
          /** One of `logRoots`. */
          logRoot: string;
          /** The namespace of the claim (the TensorBoard runs there). */
          namespace: string;
          /** The PersistentVolumeClaim mounted at `logRoot` by training. */
          claim: string;
        }>;
        /**
         * TensorBoards one user may have per namespace, held under concurrent
         * starts across replicas; a user frees a place by stopping one. Default 2.
         */
        maxPerUser?: number;
      };
      /**
       * A run's own TensorBoard as a process of the backend, for development
       * and single-machine setups (`POST .../experiment/runs/:runId/tensorboard`
       * runs `tensorboard --logdir <the run's log dir>` on a free port;
       * `DELETE` stops it). Not with `kubeflow`. The processes belong to the
       * replica that started them and end with it.
       */
      local?: {
        /** Absolute path of the `tensorboard` executable. */
        command: string;
        /** The address it listens on. Default 127.0.0.1. */
        host?: string;
        /** The host the browser opens it at. Default `host`. */
        publicHost?: string;
        /** TensorBoards one user may have running. Default 2. */
        maxPerUser?: number;
      };
    };
    /**
     * Model registries. Only the hosts listed here are ever contacted for
     * `mlplatform.io/registry-ref` annotations.
     */
    registries?: Array<{
      /** Registry name shown in the portal. */
      name: string;
      /** `oci` for an OCI distribution registry, `mlflow` for MLflow's REST API (its model registry and, for entities with `mlplatform.io/mlflow-experiment`, its experiments; docs/experiments.md). */
      type: 'oci' | 'mlflow';
      /** Base URL, e.g. https://registry.example.com or https://mlflow.example.com. */
      url: string;
      /** User for basic auth. */
      username?: string;
      /**
       * Password for basic auth.
       * @visibility secret
       */
      password?: string;
      /**
       * Bearer token.
       * @visibility secret
       */
      token?: string;
      /** Path to a PEM CA bundle for registries with a private CA. */
      caFile?: string;
      /**
       * MLflow only: the `secret` of the MLflow webhook that posts registry
       * events to `/api/ml/registry/webhooks/mlflow/<name>` (docs/registry.md,
       * "Webhooks"). Deliveries are refused while it is unset.
       * @visibility secret
       */
      webhookSecret?: string;
    }>;
    /** Prometheus that scrapes the model servers and DCGM exporters. */
    /**
     * Label naming the cluster on kube-state-metrics and Kueue series in
     * Prometheus (GPU-hours, Kueue wait metrics). With one configured
     * cluster, unlabelled series belong to it. Default `cluster`.
     */
    prometheusClusterLabel?: string;
    /** Wait estimates of Kueue queues (docs/kubernetes.md, "Wait estimates"). */
    queueWaits?: {
      /** Admissions below which an estimate says "not enough history"; 3..10000. Default 10. */
      minSamples?: number;
      /** Days of recorded admissions an estimate draws on; 1..365. Default 30. */
      historyDays?: number;
      /** How often Kueue Workloads are listed for new admissions, in seconds; 10..3600. Default 60. */
      observeSeconds?: number;
    };
    /** GPU-hours per team (docs/kubernetes.md, "GPU-hours per team"). */
    gpuHours?: {
      /** Longest window a request may ask for, in days; 1..366. Default 90. */
      maxDays?: number;
    };
    prometheus?: {
      /** Base URL of the Prometheus HTTP API, e.g. http://prometheus:9090. */
      url: string;
      /**
       * Bearer token, when Prometheus sits behind an authenticating proxy.
       * @visibility secret
       */
      token?: string;
    };
    /** Alertmanager holding the alerts of the model servers. */
    alertmanager?: {
      /** Base URL of Alertmanager, e.g. http://alertmanager:9093. */
      url: string;
      /**
       * Bearer token, when Alertmanager sits behind an authenticating proxy.
       * @visibility secret
       */
      token?: string;
    };
    /** Where Datasets live, for their live facts (docs/datasets.md). */
    storage?: {
      s3?: {
        /**
         * The S3 (or S3-compatible: MinIO, Ceph RGW, ...) buckets whose
         * prefixes Dataset pages may list. Only these buckets, at these
         * endpoints, are ever contacted; a Dataset location in any other
         * bucket gets no facts and says so.
         */
        buckets?: Array<{
          /** The bucket name, as in `s3://<name>/<prefix>`. */
          name: string;
          /**
           * The S3 API endpoint, e.g. https://minio.example.com:9000.
           * Absent: AWS S3 in `region`.
           */
          endpoint?: string;
          /** The signing region. Default `us-east-1`. */
          region?: string;
          /** Access key of a read-only (ListBucket) identity. */
          accessKeyId: string;
          /**
           * Its secret key. Never sent to the browser.
           * @visibility secret
           */
          secretAccessKey: string;
          /** Path-style URLs (`endpoint/bucket/key`), as MinIO needs. Default false. */
          forcePathStyle?: boolean;
        }>;
      };
    };
    /** Logs on the Model, Pipeline and notebook pages (docs/logs.md). */
    logs?: {
      /**
       * Most lines one pod log request may return (`tail`), at most 10000.
       * Default 5000.
       */
      maxTailLines?: number;
      /**
       * Grafana Loki holding the teams' logs. Only this URL is ever contacted;
       * entities pick their streams with `mlplatform.io/logs-selector`.
       */
      loki?: {
        /** Base URL of Loki's HTTP API, e.g. http://loki-gateway.monitoring:3100. */
        url: string;
        /**
         * Longest window one query may cover, as a duration (`30m`, `6h`,
         * `1d`). Longer requests are refused with a 400. Default `24h`.
         */
        maxWindow?: string;
        /**
         * Tenant (`X-Scope-OrgID`) of a multi-tenant Loki.
         * @visibility secret
         */
        tenant?: string;
        /**
         * Bearer token, when Loki sits behind an authenticating gateway.
         * @visibility secret
         */
        token?: string;
        /** Timeout of one query, in seconds. Default 15. */
        timeoutSeconds?: number;
      };
    };
    /**
     * Settings of the orchestrators that run Pipelines (`spec.orchestrator.type`).
     * `kubernetes-job` and `argo` use the clusters under `ml.kubernetes.clusters`.
     */
    pipelines?: {
      kubernetesJob?: {
        /**
         * Where a Job's logs are shown, e.g. a log UI; the placeholders it may
         * hold are listed in docs/pipelines.md.
         */
        logsUrl?: string;
      };
      argo?: {
        /** Base URL of the Argo Workflows UI, e.g. https://argo.example.com. */
        uiUrl?: string;
      };
      /** Kubeflow Pipelines (REST API v2beta1). */
      kubeflow?: {
        /** Base URL of the Kubeflow Pipelines API, e.g. http://ml-pipeline.kubeflow:8888. */
        url: string;
        /**
         * Bearer token for the Kubeflow Pipelines API.
         * @visibility secret
         */
        token?: string;
        /** Base URL of the Kubeflow Pipelines UI, for links to runs. */
        uiUrl?: string;
        /** Timeout of one request, in milliseconds. */
        timeoutMs?: number;
      };
      /** Apache Airflow (stable REST API v1). */
      airflow?: {
        /** Base URL of the Airflow webserver, e.g. http://airflow:8080. */
        url: string;
        /** User for basic auth; goes with `password`. */
        username?: string;
        /**
         * Password for basic auth.
         * @visibility secret
         */
        password?: string;
        /**
         * Bearer token, instead of username/password.
         * @visibility secret
         */
        token?: string;
        /** Base URL of the Airflow UI, for links to dag runs, when not `url`. */
        uiUrl?: string;
        /** Timeout of one request, in milliseconds. */
        timeoutMs?: number;
      };
    };
    /** Automated reactions to alerts: the Alertmanager webhook receiver. */
    alerts?: {
      /** Without it, `POST /api/ml/alerts/webhook` answers 404. */
      webhook?: {
        /**
         * Shared secret Alertmanager sends as the password of HTTP basic auth
         * (`http_config.basic_auth.password`, any user name); at least 16
         * characters.
         * @visibility secret
         */
        secret: string;
      };
      /** How many actions may run per model in a window; more are refused as `rate-limited`. */
      rateLimit?: {
        /** Default 3. */
        maxPerModel?: number;
        /** Default 60. */
        windowMinutes?: number;
      };
      /** Which firing alerts start which action, e.g. alertname ModelDriftHigh -> retrain. */
      rules?: Array<{
        /** Labels the alert must have, all of them, with these exact values. */
        match: { [label: string]: string };
        /** `retrain`, or an action id added by a backend module. */
        action: string;
        /** Passed to the action. */
        params?: { [key: string]: unknown };
      }>;
    };
  };
}
