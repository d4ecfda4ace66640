import { withDeadline } from '../deadline.js';
import { type Mutation, type MutationOptions, mutatePod } from './mutate-pod.js';
import type { PodShape } from './pod-shape.js';

/** Default wait for one refresh on a miss, milliseconds: well inside the webhook's `timeoutSeconds`. */
export const DEFAULT_REFRESH_BUDGET_MS = 1000;

/** Options of {@link mutateWithRefresh}. */
export interface RefreshOptions {
  /**
   * Makes the associations current (the store's `reload()`). Called at most once per admission, only
   * on a `no-association` miss. Absent: no second look.
   */
  readonly refresh?: (() => Promise<unknown>) | undefined;
  /** Longest wait for `refresh`, milliseconds. Default {@link DEFAULT_REFRESH_BUDGET_MS}. */
  readonly refreshBudgetMs?: number | undefined;
}

/** A mutation, and whether a refresh was needed to reach it. */
export type RefreshedMutation = Mutation & { readonly refreshed: boolean };

/**
 * {@link mutatePod} with the documented answer to the new-service-account race:
 * a pod whose service account has no association triggers exactly one refresh of the associations
 * (bounded by `refreshBudgetMs`), then one more mutation; a miss after that admits the pod unchanged.
 * `"*"` entries match service accounts that do not exist yet, so namespace-wide associations never
 * race. A refresh that fails or overruns counts as "nothing new" (it keeps running in the background).
 */
export async function mutateWithRefresh(
  pod: PodShape,
  namespace: string,
  options: MutationOptions & RefreshOptions,
): Promise<RefreshedMutation> {
  const first = mutatePod(pod, namespace, options);
  if (first.reason !== 'no-association' || options.refresh === undefined)
    return { ...first, refreshed: false };
  await withBudget(options.refresh, options.refreshBudgetMs ?? DEFAULT_REFRESH_BUDGET_MS);
  return { ...mutatePod(pod, namespace, options), refreshed: true };
}

/** Waits for `refresh` to settle, or for `budgetMs` to pass; a refresh still running goes on. */
function withBudget(refresh: () => Promise<unknown>, budgetMs: number): Promise<void> {
  return withDeadline(
    budgetMs,
    undefined,
    (signal) =>
      new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => resolve(), { once: true });
        Promise.resolve()
          .then(refresh)
          .then(
            () => resolve(),
            () => resolve(),
          );
      }),
  );
}
