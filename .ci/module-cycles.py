#!/usr/bin/env python3
"""Module cycles in a Rust crate's src/: prints the strongly connected components of the
graph "module A names module B" (via `crate::`, `super::` or a name the crate root re-exports),
at the depth given (1: top-level modules; 2: one level of submodules), ignoring comments and
`#[cfg(test)]` parts. Exits 1 when there is a cycle.

The crate root is SRC_DIR/lib.rs, or SRC_DIR/main.rs for a binary crate.

Usage: module-cycles.py SRC_DIR [DEPTH]
"""
import re,os,sys,itertools
os.chdir(sys.argv[1])
root='.'
# map file -> module path
mods={}
for dp,dn,fn in os.walk(root):
    for f in fn:
        if not f.endswith('.rs'): continue
        p=os.path.join(dp,f)[2:]
        parts=p[:-3].split('/')
        if parts[-1]=='mod': parts=parts[:-1]
        if parts in (['lib'],['main']): parts=[]
        mods[p]=parts
# re-exports at crate root: name -> top module
lib=open("lib.rs" if os.path.exists("lib.rs") else "main.rs").read()
root_names={}
for m in re.finditer(r'pub use (\w+)(?:::[\w:]+)?::\{([^}]*)\}',lib):
    for n in re.split(r'[,\s]+',m.group(2)):
        if n: root_names[n.split(' as ')[0]]=m.group(1)
for m in re.finditer(r'pub use (\w+)(?:::\w+)*::(\w+);',lib):
    root_names[m.group(2)]=m.group(1)
level=int(sys.argv[2]) if len(sys.argv)>2 else 1
def key(parts): return '::'.join(parts[:level]) if parts else 'lib'
edges=set()
for p,parts in mods.items():
    src=open(p).read()
    src=src.split('#[cfg(test)]')[0]
    src='\n'.join(l for l in src.split('\n') if not l.strip().startswith('//'))
    me=key(parts)
    for m in re.finditer(r'crate::((?:\w+::)*\w+)',src):
        path=m.group(1).split('::')
        if os.path.exists(path[0]+'.rs') or os.path.isdir(path[0]):
            tgt=key(path) if level==1 else key(path[:level] if len(path)>=level else path)
            # only keep module components
            comps=[]
            cur=''
            for c in path:
                cand=(cur+'/'+c if cur else c)
                if os.path.exists(cand+'.rs') or os.path.isdir(cand): comps.append(c); cur=cand
                else: break
            tgt=key(comps)
        elif path[0] in root_names:
            tgt=root_names[path[0]]
        else: continue
        if tgt!=me and tgt: edges.add((me,tgt))
    for m in re.finditer(r'(?<!\w)super::((?:\w+::)*\w+)',src):
        base=parts[:-1] if not p.endswith('mod.rs') else parts[:-1]
        path=base+m.group(1).split('::')
        comps=[]; cur=''
        for c in path:
            cand=(cur+'/'+c if cur else c)
            if os.path.exists(cand+'.rs') or os.path.isdir(cand): comps.append(c); cur=cand
            else: break
        tgt=key(comps) if comps else key(base)
        if tgt!=me and tgt: edges.add((me,tgt))
# find cycles (SCCs)
import collections
g=collections.defaultdict(set)
for a,b in edges: g[a].add(b)
nodes=set(g)|{b for a,b in edges}
idx={};low={};st=[];on=set();res=[];c=[0]
def sc(v):
    idx[v]=low[v]=c[0];c[0]+=1;st.append(v);on.add(v)
    for w in g[v]:
        if w not in idx: sc(w); low[v]=min(low[v],low[w])
        elif w in on: low[v]=min(low[v],idx[w])
    if low[v]==idx[v]:
        comp=[]
        while True:
            w=st.pop();on.discard(w);comp.append(w)
            if w==v:break
        if len(comp)>1: res.append(comp)
for v in sorted(nodes):
    if v not in idx: sc(v)
print("level",level,"modules",len(nodes),"edges",len(edges),"cycles:",res)
for comp in res:
    for a,b in sorted(edges):
        if a in comp and b in comp: print("  ",a,"->",b)
sys.exit(1 if res else 0)
