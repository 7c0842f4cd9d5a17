export function quietedNamespaces(): string[];
