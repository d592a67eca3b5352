// What the location, cloud and Electricity Maps lookups share: why a request failed, and a JSON body.

/** Why a fetch failed, in a few words: its timeout, the system error code, or the message. */
export function fetchFailure(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  return err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : err.cause?.code ?? err.cause?.message ?? err.message;
}

/** The JSON body of a successful answer. @throws Error `HTTP <status>` or `the answer is not JSON`. */
export async function jsonBody(res: Response): Promise<unknown> {
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  try {
    return await res.json();
  } catch {
    throw new Error('the answer is not JSON');
  }
}
