/** Shows a mapped or intersected type as one plain object in editor tooltips and compiler messages. */
export type Flatten<T> = { [K in keyof T]: T[K] } & {};
