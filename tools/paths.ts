// API paths as segments (the request layer percent-encodes each one).
export const cardsPath = ['loyalty', 'loyalty-cards'] as const;
export const cardPath = (cardId: string, ...rest: string[]): string[] => [...cardsPath, cardId, ...rest];
export const holdersPath = (cardId: string, ...rest: string[]): string[] => cardPath(cardId, 'stats', ...rest);
export const holderPath = (cardId: string, userId: string, ...rest: string[]): string[] => holdersPath(cardId, userId, ...rest);
