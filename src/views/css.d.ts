// Stylesheets are imported for their effect: esbuild inlines them into the view's HTML (src/build/views.mjs).
declare module '*.css';
