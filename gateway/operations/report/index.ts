export { collectReport, type TransparencyReport } from './collect.ts';
export { renderMarkdown } from './render-markdown.ts';
export { renderHtml } from './render-html.ts';
