import { ApiException, KubeConfig } from '@kubernetes/client-node';
import type { Sandbox } from '../../local/kube-sandbox/sandbox';

/** A client-node KubeConfig pointing at a running sandbox, through its own kubeconfig. */
export function kubeConfigFor(sandbox: Sandbox): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(sandbox.kubeconfig());
  return kc;
}

/** The ApiException a client-node call rejects with (fails the test if it resolves). */
export async function apiError(
  call: Promise<unknown>,
): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
    return { code: error.code, status: body as Record<string, unknown> };
  }
  throw new Error('expected the call to fail with an API error, but it succeeded');
}
