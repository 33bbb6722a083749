// @nixery/explorer: an image's layers as a report, and the web page that shows it.
export {
  EXPLORER_ASSETS_BASE,
  EXPLORER_ASSETS_DIR,
  ExplorerNotBuiltError,
  explorerPage,
  standaloneHtml,
} from './assets.js';
export {
  type BuiltImage,
  type ImageReport,
  imageReport,
  type LayerReasonReport,
  type LayerReport,
  type PathReport,
  type ReportInput,
  ReportMismatchError,
} from './report.js';
