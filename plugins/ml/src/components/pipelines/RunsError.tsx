import { WarningPanel } from '@backstage/core-components';
import { serverMessage } from '../shared/errors';

/** The first `ml.` config key a message names, e.g. `ml.pipelines.airflow`. */
export function configKeyIn(message: string): string | undefined {
  return /\bml\.[A-Za-z0-9_.-]*[A-Za-z0-9_]/.exec(message)?.[0];
}

/**
 * Why the runs could not be read, in the backend's words: an orchestrator the
 * portal has no settings for (naming the config key), one that did not
 * answer (503), or any other refusal.
 */
export function RunsError(props: { error: Error }) {
  const message = serverMessage(props.error);
  const status = (props.error as { statusCode?: number }).statusCode;
  if (/not configured/i.test(message)) {
    const key = configKeyIn(message);
    return (
      <WarningPanel
        severity="info"
        title="Orchestrator not configured"
        message={
          <>
            {message.replace(/\.$/, '')}.{' '}
            {key ? (
              <>
                Add <code>{key}</code> to app-config.yaml.
              </>
            ) : (
              'Configure the orchestrator under ml in app-config.yaml (see docs/pipelines.md).'
            )}
          </>
        }
      />
    );
  }
  if (status === 503) {
    return (
      <WarningPanel
        severity="warning"
        title="The orchestrator did not answer"
        message={message}
      />
    );
  }
  return (
    <WarningPanel
      severity="error"
      title="Could not read the pipeline's runs"
      message={message}
    />
  );
}
