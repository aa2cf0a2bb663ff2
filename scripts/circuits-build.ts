/**
 * npm run circuits:build [-- --profile dev|standard|all]
 * Builds (or finds in the cache) the circuit artifacts of a profile and prints where they are.
 */
import { buildCircuitArtifacts, cacheRoot, consoleLogger, loadCircuitsManifest, releaseCurve } from '@mesh/zk';
import { argValue } from './cli-args';

async function main(): Promise<void> {
  const wanted = argValue(process.argv, 'profile') ?? 'dev';
  const manifest = loadCircuitsManifest();
  const names = wanted === 'all' ? Object.keys(manifest.profiles) : [wanted];
  const logger = consoleLogger('circuits');
  logger.info(`cache: ${cacheRoot()}${process.env.MESH_PTAU ? `, ceremony file: ${process.env.MESH_PTAU}` : ''}`);
  for (const name of names) {
    const started = Date.now();
    const a = await buildCircuitArtifacts(name, { logger, manifest });
    logger.info(
      `${name}: depth ${a.profile.depth}, K ${a.profile.chunkSize}, ${a.constraints} constraints (${a.constraintsPerUpdate} per update), ` +
        `2^${a.power} ceremony (${a.ptauSource}), ready in ${((Date.now() - started) / 1000).toFixed(1)}s at ${a.dir}`,
    );
  }
  await releaseCurve();
}

main().catch((err: unknown) => {
  process.stderr.write(`circuits:build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
