import { type ConfigurationOptions, Observable, type ObservableMiddleware } from '@kubernetes/client-node';

/**
 * Per-call options of a client-node API method that abort the HTTP request when `signal` aborts:
 * the generated clients take no signal argument, only middleware that can set one on the request.
 */
export function abortOn(signal: AbortSignal): ConfigurationOptions<ObservableMiddleware> {
  return {
    middleware: [
      {
        pre: (request) => {
          request.setSignal(signal);
          return new Observable(Promise.resolve(request));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}
