/* hash.h — xxHash for every module. On x86-64, XXH3 goes through
 * libxxhash's _dispatch entry points, which take the widest vector unit the
 * CPU has (AVX2 and up) where the plain ones are built for SSE2: the same
 * hashes (XXH3 is defined apart from its vector code) at about half the
 * instructions, and run caches and chart fingerprints hash every point. */
#ifndef RUNSITE_HASH_H
#define RUNSITE_HASH_H

#include <xxhash.h>
#if defined(__x86_64__) && defined(__has_include)
#if __has_include(<xxh_x86dispatch.h>)
#include <xxh_x86dispatch.h>
#endif
#endif

#endif
