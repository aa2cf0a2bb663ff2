// The process helpers live in libs/devnet (the devnet launcher uses them too).
export { assertAppsBuilt, BUILT_APPS, NodeProcess, type AppName } from '@mesh/devnet';
