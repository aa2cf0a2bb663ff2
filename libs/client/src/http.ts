import { MeshError } from '@mesh/core';

/** A node answered with an error status; `status` and the node's `body` say why. */
export class HttpError extends MeshError {
  constructor(
    readonly status: number,
    readonly body: unknown,
    url: string,
  ) {
    const message =
      typeof body === 'object' && body !== null && 'message' in body
        ? String((body as { message: unknown }).message)
        : JSON.stringify(body);
    super('HTTP', `${url}: ${status} ${message}`);
  }
}

/** JSON over HTTP with the node's error body kept in the thrown HttpError. */
export async function requestJson<T>(
  baseUrl: string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<T> {
  const url = `${baseUrl.replace(/\/$/, '')}${path}`;
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  if (!response.ok) throw new HttpError(response.status, body, url);
  return body as T;
}
