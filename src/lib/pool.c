/* pool.c - arena memory pools with reference counting.
 *
 * A pool is a chain of blocks; allocations are carved from the newest block
 * at 16-byte alignment and zeroed. Nothing is freed individually: clear or
 * unref releases everything. The last allocation can be grown or shrunk in
 * place. Secure pools wipe every used byte before a block is reused or
 * released. Pools are not thread-safe. */
#include "lib.h"
#include "pool.h"

#define POOL_ALIGN 16
#define POOL_MIN_BLOCK 256
#define POOL_MAX_GROW (1024 * 1024)

struct pool_block {
	struct pool_block *prev;
	size_t size; /* usable bytes in data[] */
	size_t used;
	_Alignas(POOL_ALIGN) unsigned char data[];
};

struct pool {
	char *name;
	int refcount;
	bool secure;
	size_t used_size;	   /* bytes taken from the system for blocks */
	struct pool_block *block;  /* newest block */
	unsigned char *last_alloc; /* most recent allocation, or NULL */
	size_t last_size;	   /* its aligned size */
	/* the first block, allocated together with the pool and its name */
	struct pool_block *first_block;
};

static size_t align_size(size_t size)
{
	return size_add(size, POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1);
}

static struct pool_block *block_alloc(pool_t pool, size_t size)
{
	struct pool_block *block;

	size = align_size(size < POOL_MIN_BLOCK ? POOL_MIN_BLOCK : size);
	block = aligned_alloc(POOL_ALIGN,
			      align_size(size_add(sizeof(*block), size)));
	if (block == NULL)
		i_panic("pool %s: out of memory allocating %zu bytes",
			pool->name, size);
	block->prev = pool->block;
	block->size = size;
	block->used = 0;
	pool->block = block;
	pool->used_size += size;
	return block;
}

static void block_free(pool_t pool, struct pool_block *block)
{
	if (pool->secure)
		safe_memset0(block->data, block->used);
	pool->used_size -= block->size;
	if (block != pool->first_block)
		free(block);
}

static pool_t pool_create_common(const char *name, size_t initial_size,
				 bool secure)
{
	/* one allocation: the first block, the pool, then its name */
	size_t name_len = strlen(name == NULL ? "pool" : name);
	size_t size = align_size(initial_size < POOL_MIN_BLOCK ? POOL_MIN_BLOCK
							       : initial_size);
	size_t head = align_size(sizeof(struct pool_block) + size);
	size_t total = size_add(size_add(head, sizeof(struct pool)),
				size_add(name_len, 1));
	struct pool_block *block = aligned_alloc(POOL_ALIGN, align_size(total));
	pool_t pool;

	if (block == NULL)
		i_panic("pool %s: out of memory allocating %zu bytes",
			name == NULL ? "pool" : name, size);
	pool = (pool_t)((unsigned char *)block + head);
	memset(pool, 0, sizeof(*pool));
	pool->name = (char *)(pool + 1);
	memcpy(pool->name, name == NULL ? "pool" : name, name_len + 1);
	pool->refcount = 1;
	pool->secure = secure;
	block->prev = NULL;
	block->size = size;
	block->used = 0;
	pool->block = block;
	pool->first_block = block;
	pool->used_size = size;
	return pool;
}

pool_t pool_create(const char *name, size_t initial_size)
{
	return pool_create_common(name, initial_size, false);
}

pool_t pool_create_secure(const char *name, size_t initial_size)
{
	return pool_create_common(name, initial_size, true);
}

void pool_ref(pool_t pool)
{
	i_assert(pool->refcount > 0);
	pool->refcount++;
}

void pool_unref(pool_t *_pool)
{
	pool_t pool = *_pool;

	if (pool == NULL)
		return;
	*_pool = NULL;
	i_assert(pool->refcount > 0);
	if (--pool->refcount > 0)
		return;

	while (pool->block != pool->first_block) {
		struct pool_block *prev = pool->block->prev;

		block_free(pool, pool->block);
		pool->block = prev;
	}
	/* the pool and its name live in the first block's allocation */
	if (pool->secure)
		safe_memset0(pool->block->data, pool->block->used);
	free(pool->first_block);
}

void pool_clear(pool_t pool)
{
	while (pool->block->prev != NULL) {
		struct pool_block *prev = pool->block->prev;

		block_free(pool, pool->block);
		pool->block = prev;
	}
	if (pool->secure)
		safe_memset0(pool->block->data, pool->block->used);
	pool->block->used = 0;
	pool->last_alloc = NULL;
	pool->last_size = 0;
}

size_t pool_get_used_size(pool_t pool)
{
	return pool->used_size;
}

void *p_malloc(pool_t pool, size_t size)
{
	struct pool_block *block = pool->block;
	size_t asize = align_size(size == 0 ? 1 : size);
	unsigned char *mem;

	if (block->size - block->used < asize) {
		size_t grow = block->size < POOL_MAX_GROW
				  ? block->size * 2
				  : block->size + POOL_MAX_GROW;
		block = block_alloc(pool, MAX_OF(asize, grow));
	}
	mem = block->data + block->used;
	block->used += asize;
	memset(mem, 0, asize);
	pool->last_alloc = mem;
	pool->last_size = asize;
	return mem;
}

void *p_realloc(pool_t pool, void *mem, size_t old_size, size_t new_size)
{
	struct pool_block *block = pool->block;
	unsigned char *new_mem;

	if (mem == NULL)
		return p_malloc(pool, new_size);

	if (mem == pool->last_alloc) {
		/* the last allocation: grow or shrink in place if it fits */
		size_t start = (size_t)((unsigned char *)mem - block->data);
		size_t asize = align_size(new_size == 0 ? 1 : new_size);

		if (block->size - start >= asize) {
			if (new_size > old_size) {
				memset((unsigned char *)mem + old_size, 0,
				       new_size - old_size);
			} else if (pool->secure) {
				safe_memset0((unsigned char *)mem + new_size,
					     old_size - new_size);
			}
			block->used = start + asize;
			pool->last_size = asize;
			return mem;
		}
	}
	if (new_size <= old_size) {
		if (pool->secure)
			safe_memset0((unsigned char *)mem + new_size,
				     old_size - new_size);
		return mem;
	}
	new_mem = p_malloc(pool, new_size);
	memcpy(new_mem, mem, old_size);
	if (pool->secure)
		safe_memset0(mem, old_size);
	return new_mem;
}

char *p_strdup(pool_t pool, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t len = strlen(s);
	char *p = p_malloc(pool, size_add(len, 1));
	memcpy(p, s, len);
	return p;
}

char *p_strndup(pool_t pool, const void *s, size_t max_len)
{
	if (s == NULL)
		return NULL;
	size_t len = strnlen(s, max_len);
	char *p = p_malloc(pool, size_add(len, 1));
	memcpy(p, s, len);
	return p;
}

void *p_memdup(pool_t pool, const void *data, size_t size)
{
	void *p = p_malloc(pool, size);

	if (size > 0)
		memcpy(p, data, size);
	return p;
}

char *p_strdup_vprintf(pool_t pool, const char *fmt, va_list args)
{
	va_list args2;
	char tmp[256];
	int len;
	char *p;

	va_copy(args2, args);
	len = vsnprintf(tmp, sizeof(tmp), fmt, args2);
	va_end(args2);
	if (len < 0)
		i_panic("p_strdup_vprintf: invalid format '%s'", fmt);
	p = p_malloc(pool, (size_t)len + 1);
	if ((size_t)len < sizeof(tmp))
		memcpy(p, tmp, (size_t)len);
	else
		vsnprintf(p, (size_t)len + 1, fmt, args);
	return p;
}

char *p_strdup_printf(pool_t pool, const char *fmt, ...)
{
	va_list args;
	char *p;

	va_start(args, fmt);
	p = p_strdup_vprintf(pool, fmt, args);
	va_end(args);
	return p;
}

char *p_strconcat(pool_t pool, const char *s1, ...)
{
	va_list args;
	size_t len = 0;
	const char *s;
	char *ret, *p;

	va_start(args, s1);
	for (s = s1; s != NULL; s = va_arg(args, const char *))
		len = size_add(len, strlen(s));
	va_end(args);

	ret = p = p_malloc(pool, size_add(len, 1));
	va_start(args, s1);
	for (s = s1; s != NULL; s = va_arg(args, const char *)) {
		size_t n = strlen(s);
		memcpy(p, s, n);
		p += n;
	}
	va_end(args);
	return ret;
}

static char **strsplit(pool_t pool, const char *str, const char *separators,
		       bool keep_empty)
{
	unsigned int count = 1, idx = 0;
	const char *p, *start;
	char **arr;

	for (p = str; *p != '\0'; p++) {
		if (strchr(separators, *p) != NULL)
			count++;
	}
	arr = p_new(pool, char *, (size_t)count + 1);
	start = str;
	for (p = str;; p++) {
		if (*p == '\0' || strchr(separators, *p) != NULL) {
			if (keep_empty || p > start)
				arr[idx++] =
				    p_strndup(pool, start, (size_t)(p - start));
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
	arr[idx] = NULL;
	return arr;
}

char **p_strsplit(pool_t pool, const char *str, const char *separators)
{
	return strsplit(pool, str, separators, true);
}

char **p_strsplit_spaces(pool_t pool, const char *str, const char *separators)
{
	return strsplit(pool, str, separators, false);
}

unsigned int str_array_length(const char *const *arr)
{
	unsigned int n = 0;

	if (arr == NULL)
		return 0;
	while (arr[n] != NULL)
		n++;
	return n;
}
