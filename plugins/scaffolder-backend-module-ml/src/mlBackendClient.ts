import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  CreateNotebookRequest,
  GpuQuotasResponse,
  Notebook,
} from '@mlplatform/plugin-ml-common';

/**
 * Calls the ML backend (`/api/ml`) on behalf of the user who runs a template,
 * so the scaffolder goes through exactly the same checks (membership, quota,
 * validation, audit) as the portal's own pages.
 *
 * @internal
 */
export class MlBackendClient {
  constructor(
    private readonly options: {
      discovery: DiscoveryService;
      auth: AuthService;
      fetch?: typeof fetch;
    },
  ) {}

  async getQuotas(
    credentials: BackstageCredentials,
    filter: { cluster?: string; namespace?: string; team?: string } = {},
  ): Promise<GpuQuotasResponse> {
    const query = new URLSearchParams(
      Object.entries(filter).filter(([, v]) => v !== undefined) as [
        string,
        string,
      ][],
    ).toString();
    return this.request(
      credentials,
      'GET',
      `/quotas${query ? `?${query}` : ''}`,
    );
  }

  async createNotebook(
    credentials: BackstageCredentials,
    body: CreateNotebookRequest,
  ): Promise<Notebook> {
    return this.request(credentials, 'POST', '/notebooks', body);
  }

  private async request<T>(
    credentials: BackstageCredentials,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const { discovery, auth } = this.options;
    const baseUrl = await discovery.getBaseUrl('ml');
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: credentials,
      targetPluginId: 'ml',
    });
    const doFetch = this.options.fetch ?? fetch;
    const response = await doFetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) {
      const error = await ResponseError.fromResponse(response);
      // The ML backend's message says what was wrong (and the numbers, for quota).
      throw new Error(error.body?.error?.message ?? error.message);
    }
    return (await response.json()) as T;
  }
}
