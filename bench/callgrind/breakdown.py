#!/usr/bin/env python3
"""Instructions per request by part of the server, from callgrind profiles
that run.sh wrote, side by side.

usage: breakdown.py PROFILE N [PROFILE N ...]

N is the number of requests the profile measured. Each function's own
instructions go to the part its name says (the rules below, first match
wins); a function that serves any caller (memcpy, memset, malloc, free) is
split among its callers, as far up as four levels, in proportion to what
each caller spent in it. "copies" is the memcpy and memmove share of a part
(callgrind counts `rep movsb` once per byte, so copies weigh more here than
in time), "alloc" the allocator's.
"""
import collections
import re
import sys

PARTS = [
    ("guest and trampolines (compiled wasm)", r"^0x[0-9a-f]+('\d+)?$"),
    ("wasmtime: instantiation", r"wasmtime.*(instantiat|Instantiator|OwnedImports|allocate_instance"
     r"|func_ref|funcref|lookup_vmdef|Instance::new|store_invariant_func|func_loc|FuncKey"
     r"|ModuleRegistry|register|MemoryImageSlot::instantiate|index_allocator::.*alloc\b"
     r"|InstanceHandle)|wasmtime_environ|cranelift_bforest"),
    ("wasmtime: store drop, slot reset", r"wasmtime.*(drop_in_place|deallocate|reset|decommit"
     r"|pagemap|free_many|free_locked|Drop)|drop_in_place<wasmtime"),
    ("wasmtime: the call, lifting, lowering, fibers", r"wasmtime|cranelift"),
    ("WASI context, resource table", r"wasmtime_wasi|cap_std|cap_primitives"),
    ("moat: runtime, sandbox", r"moat::(runtime|sandbox|plugins|clients)"),
    ("moat: protocol, access, observe", r"moat::(protocol|access|observe|metrics|auth)"),
    ("HTTP checks (moat's, native's)", r"moat::transport|native_math"),
    ("moat: other", r"moat::"),
    ("output-schema check", r"jsonschema|referencing|fancy_regex"),
    ("rmcp", r"rmcp::"),
    ("hyper, http, axum, tower", r"hyper|httparse|http::|axum|tower|h2::|sse_stream|bytes::|http_body"),
    ("serde, serde_json, indexmap", r"serde|indexmap|ryu|itoa|StrSearcher|from_utf8"),
    ("hashing (SipHash)", r"core::hash|hashbrown"),
    ("tokio, futures: tasks, wake-ups, timers", r"tokio|futures|mio|parking_lot|crossbeam"
     r"|Pin<P> as core::future|poll_fn"),
    ("tracing", r"tracing|sharded_slab"),
]
SHARED = (r"^(__memcpy|__memmove|__memset|__memcmp|_rjem_|__rustc::|__rust_alloc|__rust_dealloc"
          r"|malloc|free|cfree|realloc|_int_|malloc_consolidate|unlink_chunk|do_rallocx|tcache"
          r"|extent_|alloc::raw_vec|RawVec)")
ALLOCATOR = r"_rjem_|malloc|free|_int_|__rustc::|__rust_alloc|__rust_dealloc|realloc|rallocx|tcache|extent_|unlink_chunk"
OTHER = "std, alloc, core (generic code)"


def parse(path):
    """Each function's own instructions, and what each caller spent in each callee."""
    names, own, calls = {}, collections.Counter(), collections.defaultdict(collections.Counter)
    current = callee = None
    call_line = False

    def name(line, prefix):
        match = re.match(prefix + r"=\((\d+)\)(?: (.*))?", line)
        if not match:
            return line[len(prefix) + 1:]
        if match.group(2):
            names[match.group(1)] = match.group(2)
        return names.get(match.group(1), match.group(1))

    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("fn="):
            current = name(line, "fn")
        elif line.startswith("cfn="):
            callee = name(line, "cfn")
        elif line.startswith("calls="):
            call_line = True
        elif line[:1].isdigit() or line[:1] in "+-*":
            fields = line.split()
            if len(fields) < 2 or current is None:
                continue
            if call_line:
                calls[callee][current] += int(fields[1])
                call_line = False
            else:
                own[current] += int(fields[1])
    return own, calls


def part(function):
    for label, pattern in PARTS:
        if re.search(pattern, function):
            return label
    return OTHER


def split(function, count, calls, depth=0):
    """`count` instructions of `function`, by part, a shared function's
    passed on to its callers."""
    if not re.search(SHARED, function):
        return {part(function): count}
    callers = calls.get(function)
    if not callers or depth > 4:
        return {OTHER: count}
    total = sum(callers.values()) or 1
    parts = collections.Counter()
    for caller, spent in callers.items():
        for label, share in split(caller, count * spent / total, calls, depth + 1).items():
            parts[label] += share
    return parts


def breakdown(path):
    own, calls = parse(path)
    parts, copies, allocator = collections.Counter(), collections.Counter(), collections.Counter()
    for function, count in own.items():
        for label, share in split(function, count, calls).items():
            parts[label] += share
            if re.match(r"__mem(cpy|move)", function):
                copies[label] += share
            if re.search(ALLOCATOR, function):
                allocator[label] += share
    return parts, copies, allocator


def main():
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit(__doc__)
    profiles = [(breakdown(args[i]), int(args[i + 1])) for i in range(0, len(args), 2)]
    labels = [label for label, _ in PARTS] + [OTHER]
    first = profiles[0][0][0]
    labels.sort(key=lambda label: -first[label])
    header = " | ".join(f"profile {i + 1}: instructions (copies, alloc)" for i in range(len(profiles)))
    print(f"| part | {header} |")
    print("| --- |" + " ---: |" * len(profiles))
    for label in labels:
        cells = [
            f"{parts[label] / n:,.0f} ({copies[label] / n:,.0f}, {allocator[label] / n:,.0f})"
            for (parts, copies, allocator), n in profiles
        ]
        print(f"| {label} | " + " | ".join(cells) + " |")
    totals = [f"{sum(parts.values()) / n:,.0f}" for (parts, _, _), n in profiles]
    print("| total | " + " | ".join(totals) + " |")


if __name__ == "__main__":
    main()
