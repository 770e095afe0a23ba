import { gradcheck, initParams, paramLayout, Rng } from '@shardgrad/core';
const spec={sizes:[784,128,10],activations:['tanh','softmax'],loss:'ce'};
const L=paramLayout(spec.sizes); const p=new Float64Array(L.total); initParams(p,L,'glorot',1);
const rng=new Rng(2); const X=Float64Array.from({length:2*784},()=>rng.uniform(-1,1)); const T=new Float64Array(20); T[3]=1;T[15]=1;
for (const [h,floor] of [[1e-5,1e-7],[1e-4,1e-7],[1e-5,1e-6],[1e-4,1e-6],[1e-3,1e-7]]) {const r=gradcheck(spec,p,X,T,2,{h,floor}); console.log(h,floor,r.layers.map(l=>[l.weights.toExponential(2),l.biases.toExponential(2)]).join(' | '));}
