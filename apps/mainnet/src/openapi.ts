import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Serves the admin API's OpenAPI document: UI at /docs, JSON at /docs-json. */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Rollup Mesh mainnet')
    .setDescription(
      'Admin API of the mainnet: SPN registry, staking and slashing, settled batches (with their data) and the hash-chained mainnet ledger.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'MAINNET_ADMIN_TOKEN (needed to register SPNs when it is set)' })
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), { jsonDocumentUrl: 'docs-json' });
}
