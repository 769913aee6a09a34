/**
 * The structural spanset operators over parent indices (trace-view.ts), each linear in the
 * number of spans. `left` and `right` are sorted span indices; the result is the sorted subset
 * of `right` in the relation (Tempo returns the right-hand side's spans):
 *
 *   >   child:      r's parent is in left
 *   <   parent:     r is the parent of a span in left
 *   >>  descendant: some ancestor of r is in left
 *   <<  ancestor:   r is an ancestor of a span in left
 *   ~   sibling:    r shares its parent with a span in left other than r itself
 *
 * "Ancestor" means reachable by following parent links one or more times. Bad data can make the
 * links cycle (a span naming itself, or two naming each other): every walk below stops at a
 * span it has seen, so the operators terminate and agree with that definition.
 */
export type StructuralOp = '>' | '<' | '>>' | '<<' | '~'

export function structural (op: StructuralOp, parent: Int32Array, left: readonly number[], right: readonly number[]): number[] {
  const n = parent.length
  const mark = new Uint8Array(n)
  switch (op) {
    case '>':
      for (const a of left) mark[a] = 1
      return right.filter((b) => { const p = parent[b] as number; return p >= 0 && mark[p] === 1 })
    case '<':
      for (const a of left) { const p = parent[a] as number; if (p >= 0) mark[p] = 1 }
      return right.filter((b) => mark[b] === 1)
    case '<<':
      // Mark everything above each left span; stop at a marked span, whose ancestors are marked.
      for (const a of left) {
        let x = parent[a] as number
        while (x >= 0 && mark[x] === 0) { mark[x] = 1; x = parent[x] as number }
      }
      return right.filter((b) => mark[b] === 1)
    case '>>': {
      for (const a of left) mark[a] = 1
      const below = hasAncestorIn(parent, mark)
      return right.filter((b) => below[b] === TRUE)
    }
    case '~': {
      const count = new Int32Array(n)
      for (const a of left) { mark[a] = 1; const p = parent[a] as number; if (p >= 0) count[p] = (count[p] as number) + 1 }
      return right.filter((b) => {
        const p = parent[b] as number
        return p >= 0 && (count[p] as number) - (mark[b] as number) > 0
      })
    }
  }
}

const UNKNOWN = 0
const FALSE = 1
const TRUE = 2
const ON_PATH = 3

/**
 * For every span, whether one of its ancestors is marked. Each span is resolved once: walk up
 * until a resolved span, a span without parent, or a span already on this walk (a cycle, whose
 * members all reach each other), then resolve the walk from the top down.
 */
function hasAncestorIn (parent: Int32Array, marked: Uint8Array): Uint8Array {
  const n = parent.length
  const state = new Uint8Array(n)
  const path: number[] = []
  for (let s = 0; s < n; s++) {
    if (state[s] !== UNKNOWN) continue
    path.length = 0
    let x = s
    while (x >= 0 && state[x] === UNKNOWN) { state[x] = ON_PATH; path.push(x); x = parent[x] as number }
    let last = path.length - 1
    if (x >= 0 && state[x] === ON_PATH) {
      const start = path.indexOf(x)
      let any = false
      for (let m = start; m <= last; m++) if (marked[path[m] as number] === 1) any = true
      for (let m = start; m <= last; m++) state[path[m] as number] = any ? TRUE : FALSE
      last = start - 1
    }
    for (let m = last; m >= 0; m--) {
      const p = parent[path[m] as number] as number
      state[path[m] as number] = p >= 0 && (marked[p] === 1 || state[p] === TRUE) ? TRUE : FALSE
    }
  }
  return state
}

/** Union of two sorted index lists, sorted, without duplicates. */
export function unionSorted (a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    const x = i < a.length ? a[i] as number : Infinity
    const y = j < b.length ? b[j] as number : Infinity
    if (x <= y) { out.push(x); i++; if (x === y) j++ } else { out.push(y); j++ }
  }
  return out
}
