// The heap moved to services/runtime so escalation deadlines share it.
export { MinHeap } from '../runtime/min-heap.ts';
