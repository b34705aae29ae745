export interface Config {
  scaffolder?: {
    /** Configuration of the ML platform's scaffolder actions. */
    ml?: {
      /**
       * Directory `ml:publish:local` publishes bare git repositories to
       * (relative paths resolve from the backend's working directory). The
       * action refuses to run when this is not set. For demos and tests; in
       * production use the scaffolder's publish actions for your git host.
       */
      localPublishDirectory?: string;
    };
  };
}
