/**
 * Small shapes that catch the usual kernel bugs: odd sizes, stride 2, k5, channels not
 * divisible by 4, batch 1, both padding modes (SAME with the odd pixel at the
 * bottom/right, symmetric numbers, an asymmetric explicit one), and a kernel that covers
 * the whole padded input. Shared by the reference, oracle and engine op tests.
 */
import type { ConvOptions } from './conv.js';

export interface ConvCase extends ConvOptions {
  name: string;
  /** input NHWC */
  x: [number, number, number, number];
  KH: number;
  KW: number;
  Cout: number;
}

export const CONV_CASES: ConvCase[] = [
  { name: 'k3 s1 same, odd HW', x: [2, 5, 7, 3], KH: 3, KW: 3, Cout: 5, stride: 1, padding: 'same' },
  { name: 'k3 s2 same, even H (pad only bottom/right)', x: [1, 8, 6, 4], KH: 3, KW: 3, Cout: 6, stride: 2, padding: 'same' },
  { name: 'k3 s2 same, odd HW (stem)', x: [2, 9, 7, 3], KH: 3, KW: 3, Cout: 8, stride: 2, padding: 'same' },
  { name: 'k3 s2 pad1 (PyTorch stem)', x: [1, 9, 8, 3], KH: 3, KW: 3, Cout: 5, stride: 2, padding: 1 },
  { name: 'k5 s2 pad2', x: [1, 9, 7, 5], KH: 5, KW: 5, Cout: 3, stride: 2, padding: 2 },
  { name: 'k5 s1 same', x: [2, 6, 5, 2], KH: 5, KW: 5, Cout: 7, stride: 1, padding: 'same' },
  { name: 'k1 s1 pointwise', x: [2, 3, 5, 6], KH: 1, KW: 1, Cout: 10, stride: 1, padding: 0 },
  { name: 'k1 s2 valid', x: [1, 5, 5, 3], KH: 1, KW: 1, Cout: 4, stride: 2, padding: 0 },
  { name: 'k3x2 stride [2,1] asymmetric pad', x: [2, 6, 5, 3], KH: 3, KW: 2, Cout: 5, stride: [2, 1], padding: { top: 0, bottom: 1, left: 1, right: 2 } },
  { name: 'k5 pad1 on 3x3 (kernel covers the padded input)', x: [1, 3, 3, 2], KH: 5, KW: 5, Cout: 3, stride: 1, padding: 1 },
  { name: 'grouped g3 k3 s1 pad1', x: [2, 5, 5, 6], KH: 3, KW: 3, Cout: 9, stride: 1, padding: 1, groups: 3 },
  { name: 'groups = channels k3 s2 same', x: [1, 7, 6, 5], KH: 3, KW: 3, Cout: 5, stride: 2, padding: 'same', groups: 5 },
];

export interface DepthwiseCase extends Omit<ConvOptions, 'groups'> {
  name: string;
  x: [number, number, number, number];
  KH: number;
  KW: number;
}

export const DEPTHWISE_CASES: DepthwiseCase[] = [
  { name: 'k3 s1 same, C5', x: [2, 5, 7, 5], KH: 3, KW: 3, stride: 1, padding: 'same' },
  { name: 'k3 s2 same, even HW, C8', x: [1, 8, 6, 8], KH: 3, KW: 3, stride: 2, padding: 'same' },
  { name: 'k3 s2 pad1, odd HW, C3', x: [2, 7, 9, 3], KH: 3, KW: 3, stride: 2, padding: 1 },
  { name: 'k5 s1 pad2, C7', x: [1, 6, 5, 7], KH: 5, KW: 5, stride: 1, padding: 2 },
  { name: 'k5 s2 same, odd HW, C6', x: [2, 9, 7, 6], KH: 5, KW: 5, stride: 2, padding: 'same' },
  { name: 'k5 s2 pad2, batch 1, C1', x: [1, 5, 5, 1], KH: 5, KW: 5, stride: 2, padding: 2 },
];

/** Channels-last inputs for batchnorm: statistics over every axis but the last. */
export const BATCHNORM_SHAPES: number[][] = [
  [2, 5, 3, 7],
  [1, 3, 3, 5],
  [3, 2, 4, 4],
  [6, 9],
];
