/*
 * @shardgrad/mpi: an N-API addon over MPI (MPI-3 standard calls only; built with mpicc against
 * OpenMPI or MPICH).
 *
 * Thread model. One dedicated native thread (the "MPI thread") calls MPI_Init_thread
 * (MPI_THREAD_FUNNELED) and then every other MPI call of the process, in the order requests reach
 * it. JS threads (the main thread and any worker_threads: the addon's state is process-wide) hand
 * it requests through one queue:
 *   - synchronous forms block the calling JS thread on a condition variable until the MPI thread
 *     has done the call;
 *   - promise forms return a promise that the MPI thread settles through a thread-safe function
 *     (one per JS thread, created on its first promise call, referenced only while it has promises
 *     pending, so an idle addon never keeps an event loop alive).
 * Buffers are used in place: the pointer N-API gives for a typed array (already at its byteOffset),
 * on an ArrayBuffer, a SharedArrayBuffer or a shared WebAssembly.Memory. A promise call keeps its
 * typed arrays referenced until it settles, and a JS thread torn down (a worker ending or
 * terminated) with promise calls queued or running waits for the MPI thread to finish them.
 *
 * Before MPI_Init the library that defines MPI_Init is re-opened RTLD_GLOBAL (a Node addon and its
 * dependencies are loaded RTLD_LOCAL, and MPI implementations that dlopen plugins may need the
 * library's symbols global), and the process's handlers for SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGABRT
 * are restored after MPI_Init (OpenMPI installs its own backtrace handlers there, replacing V8's
 * WebAssembly trap handler).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <mpi.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* ----------------------------------------------------------------------------------------------
 * Requests and the process-wide state
 * -------------------------------------------------------------------------------------------- */

enum op { OP_INIT, OP_ALLGATHERV, OP_ALLREDUCE, OP_ALLTOALLV, OP_BCAST, OP_BARRIER, OP_FINALIZE, OP_ABORT };
static const char *const OP_NAMES[] = {"init", "allgatherv", "allreduce", "alltoallv", "bcast", "barrier", "finalize", "abort"};

/* element types, in the order the JS side numbers them */
enum elem { EL_F32, EL_F64, EL_I32, EL_U8 };
enum redop { RED_SUM, RED_MAX, RED_MIN };

enum state { ST_NONE, ST_STARTING, ST_READY, ST_FAILED, ST_FINALIZING, ST_FINALIZED };

typedef struct env_ctx env_ctx;

typedef struct req {
  enum op op;
  enum elem elem;
  enum redop redop;
  void *buf, *buf2;
  int count, root, code;
  int *counts, *displs, *counts2, *displs2; /* malloc'd, size entries each */
  /* completion */
  int done, rc;
  char err[384];
  pthread_cond_t *cv; /* synchronous: the waiting thread's condition variable */
  env_ctx *ctx;       /* promise: the JS thread to settle it on */
  napi_deferred deferred;
  napi_ref keep[2];
  struct req *next;
} req;

/* One per JS thread (N-API instance data). Freed when both its env and every request on it are gone. */
struct env_ctx {
  napi_threadsafe_function tsfn; /* NULL until the first promise call */
  int alive;                     /* the tsfn can be called (guarded by g.mu) */
  int refs;                      /* env + cleanup hook + tsfn + requests in flight (guarded by g.mu) */
  int inflight;                  /* promise requests queued or running (guarded by g.mu) */
  int pending;                   /* promises pending (JS thread only) */
};

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;   /* queue changed / state changed */
  enum state state;
  int busy;            /* the MPI thread is inside a call */
  int joined;
  pthread_t thread;
  req *head, *tail;
  int rank, size, provided;
  char library[MPI_MAX_LIBRARY_VERSION_STRING + 1];
  char init_error[256];
  char lib_path[512];  /* the library re-opened RTLD_GLOBAL, or why not */
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void req_free(req *r) {
  if (r == NULL) return;
  free(r->counts);
  free(r->displs);
  free(r->counts2);
  free(r->displs2);
  free(r);
}

static void ctx_unref_locked(env_ctx *c) {
  if (--c->refs == 0) free(c);
}

/* ----------------------------------------------------------------------------------------------
 * The MPI thread
 * -------------------------------------------------------------------------------------------- */

static MPI_Datatype mpi_type(enum elem e, int reducing) {
  switch (e) {
    case EL_F32: return MPI_FLOAT;
    case EL_F64: return MPI_DOUBLE;
    case EL_I32: return MPI_INT;
    default: return reducing ? MPI_UNSIGNED_CHAR : MPI_BYTE; /* MPI_SUM/MAX/MIN are not defined on MPI_BYTE */
  }
}

static MPI_Op mpi_op(enum redop o) {
  return o == RED_MAX ? MPI_MAX : o == RED_MIN ? MPI_MIN : MPI_SUM;
}

static void set_mpi_error(req *r, const char *what, int rc) {
  char s[MPI_MAX_ERROR_STRING + 1];
  int len = 0;
  if (MPI_Error_string(rc, s, &len) != MPI_SUCCESS) len = 0;
  s[len] = 0;
  for (char *p = s; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  snprintf(r->err, sizeof r->err, "MPI_%s failed on rank %d: %s (error %d)", what, g.rank, len ? s : "unknown error", rc);
  r->rc = rc;
}

static void execute(req *r) {
  int rc = MPI_SUCCESS;
  const char *what = "";
  switch (r->op) {
    case OP_INIT:
      return;
    case OP_ALLGATHERV:
      what = "Allgatherv";
      rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, r->buf, r->counts, r->displs, mpi_type(r->elem, 0), MPI_COMM_WORLD);
      break;
    case OP_ALLREDUCE:
      what = "Allreduce";
      rc = MPI_Allreduce(MPI_IN_PLACE, r->buf, r->count, mpi_type(r->elem, 1), mpi_op(r->redop), MPI_COMM_WORLD);
      break;
    case OP_ALLTOALLV:
      what = "Alltoallv";
      rc = MPI_Alltoallv(r->buf, r->counts, r->displs, mpi_type(r->elem, 0), r->buf2, r->counts2, r->displs2, mpi_type(r->elem, 0), MPI_COMM_WORLD);
      break;
    case OP_BCAST:
      what = "Bcast";
      rc = MPI_Bcast(r->buf, r->count, mpi_type(r->elem, 0), r->root, MPI_COMM_WORLD);
      break;
    case OP_BARRIER:
      what = "Barrier";
      rc = MPI_Barrier(MPI_COMM_WORLD);
      break;
    case OP_ABORT:
      MPI_Abort(MPI_COMM_WORLD, r->code);
      _exit(r->code ? r->code : 1); /* MPI_Abort does not return; if it does, still end the process */
    case OP_FINALIZE:
      what = "Finalize";
      rc = MPI_Finalize();
      break;
  }
  if (rc != MPI_SUCCESS) set_mpi_error(r, what, rc);
}

/* Settles a finished request: wakes its synchronous caller or posts it to its JS thread. Called with g.mu held. */
static void complete_locked(req *r) {
  r->done = 1;
  if (r->cv != NULL) {
    pthread_cond_signal(r->cv);
    return;
  }
  env_ctx *c = r->ctx;
  c->inflight--;
  pthread_cond_broadcast(&g.cv); /* a JS thread being torn down may be waiting for its requests */
  if (c->alive && napi_call_threadsafe_function(c->tsfn, r, napi_tsfn_nonblocking) == napi_ok) return;
  /* the JS thread is gone: nobody is left to settle the promise */
  ctx_unref_locked(c);
  req_free(r);
}

static const int SAVED_SIGNALS[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define N_SAVED (sizeof SAVED_SIGNALS / sizeof SAVED_SIGNALS[0])

/* Re-opens the library that defines MPI_Init with RTLD_GLOBAL (see the header comment). */
static void promote_libmpi(void) {
  Dl_info info;
  void *sym = (void *)&MPI_Init;
  if (dladdr(sym, &info) == 0 || info.dli_fname == NULL) {
    snprintf(g.lib_path, sizeof g.lib_path, "(dladdr found no library for MPI_Init)");
    return;
  }
  void *h = dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
  if (h == NULL) h = dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL);
  snprintf(g.lib_path, sizeof g.lib_path, "%s%s", info.dli_fname, h ? "" : " (dlopen RTLD_GLOBAL failed)");
  /* the handle is kept open for the life of the process */
}

static void *mpi_thread_main(void *arg) {
  (void)arg;
  /* JS threads handle signals; this one blocks the asynchronous ones (synchronous faults still arrive) */
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);

  promote_libmpi();
  struct sigaction saved[N_SAVED];
  for (size_t i = 0; i < N_SAVED; i++) sigaction(SAVED_SIGNALS[i], NULL, &saved[i]);
  int provided = -1, rank = -1, size = 0, rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
  for (size_t i = 0; i < N_SAVED; i++) sigaction(SAVED_SIGNALS[i], &saved[i], NULL);
  char error[256] = "";
  char library[MPI_MAX_LIBRARY_VERSION_STRING + 1] = "";
  if (rc != MPI_SUCCESS) {
    snprintf(error, sizeof error, "MPI_Init_thread failed (error %d)", rc);
  } else if (provided < MPI_THREAD_FUNNELED) {
    snprintf(error, sizeof error, "MPI_Init_thread provided thread level %d, below MPI_THREAD_FUNNELED", provided);
  } else {
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int len = 0;
    MPI_Get_library_version(library, &len);
    library[len < 0 ? 0 : len] = 0;
    /* the first line only (MPICH's string runs over several) */
    for (char *p = library; *p; p++)
      if (*p == '\n' || *p == '\r') {
        *p = 0;
        break;
      }
    while (len > 0 && (library[len - 1] == ' ' || library[len - 1] == ',')) library[--len] = 0;
  }

  pthread_mutex_lock(&g.mu);
  g.rank = rank;
  g.size = size;
  g.provided = provided;
  memcpy(g.library, library, sizeof library);
  if (error[0]) {
    memcpy(g.init_error, error, sizeof error);
    g.state = ST_FAILED;
  } else {
    g.state = ST_READY;
  }
  pthread_cond_broadcast(&g.cv);

  for (;;) {
    while (g.head == NULL) pthread_cond_wait(&g.cv, &g.mu);
    req *r = g.head;
    g.head = r->next;
    if (g.head == NULL) g.tail = NULL;
    if (g.state == ST_FAILED) {
      if (r->op != OP_FINALIZE) snprintf(r->err, sizeof r->err, "MPI is unavailable: %s", g.init_error), r->rc = -1;
      int fin = r->op == OP_FINALIZE;
      if (fin) g.state = ST_FINALIZED;
      complete_locked(r);
      if (fin) break;
      continue;
    }
    g.busy = 1;
    pthread_mutex_unlock(&g.mu);
    execute(r);
    pthread_mutex_lock(&g.mu);
    g.busy = 0;
    int fin = r->op == OP_FINALIZE;
    if (fin) g.state = ST_FINALIZED; /* even if MPI_Finalize reported an error: MPI may not be used again */
    complete_locked(r);
    if (fin) break;
  }
  /* requests queued behind the finalize: a second finalize succeeds, anything else fails */
  while (g.head != NULL) {
    req *r = g.head;
    g.head = r->next;
    if (r->op != OP_FINALIZE) snprintf(r->err, sizeof r->err, "MPI %s after finalize", OP_NAMES[r->op]), r->rc = -1;
    complete_locked(r);
  }
  g.tail = NULL;
  pthread_cond_broadcast(&g.cv);
  pthread_mutex_unlock(&g.mu);
  return NULL;
}

/* Starts the MPI thread once. Called with g.mu held; returns an error message or NULL. */
static const char *start_locked(void) {
  if (g.state != ST_NONE) return NULL;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 8u << 20);
  int e = pthread_create(&g.thread, &attr, mpi_thread_main, NULL);
  pthread_attr_destroy(&attr);
  if (e != 0) return "could not start the MPI thread";
  g.state = ST_STARTING;
  return NULL;
}

static void enqueue_locked(req *r) {
  r->next = NULL;
  if (g.tail) g.tail->next = r;
  else g.head = r;
  g.tail = r;
  pthread_cond_broadcast(&g.cv);
}

/* Joins the MPI thread once it has finalized. Called without g.mu. */
static void join_if_finalized(void) {
  pthread_mutex_lock(&g.mu);
  int join = g.state == ST_FINALIZED && !g.joined;
  if (join) g.joined = 1;
  pthread_mutex_unlock(&g.mu);
  if (join) pthread_join(g.thread, NULL);
}

/* ----------------------------------------------------------------------------------------------
 * N-API helpers
 * -------------------------------------------------------------------------------------------- */

#define CHECK(call)                                                      \
  do {                                                                   \
    if ((call) != napi_ok) {                                             \
      napi_throw_error(env, NULL, "shardgrad mpi: N-API call failed");   \
      return NULL;                                                       \
    }                                                                    \
  } while (0)

static napi_value throw_msg(napi_env env, const char *msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

/* A typed array's data pointer (at its byteOffset), element count and element type; 0 on success. */
static int get_view(napi_env env, napi_value v, void **data, size_t *length, enum elem *el, const char *name, char *err, size_t errlen) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) {
    snprintf(err, errlen, "%s must be a Float32Array, Float64Array, Int32Array or Uint8Array", name);
    return -1;
  }
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &t, length, data, &ab, &off) != napi_ok) {
    snprintf(err, errlen, "%s: could not read the typed array", name);
    return -1;
  }
  switch (t) {
    case napi_float32_array: *el = EL_F32; break;
    case napi_float64_array: *el = EL_F64; break;
    case napi_int32_array: *el = EL_I32; break;
    case napi_uint8_array: *el = EL_U8; break;
    default:
      snprintf(err, errlen, "%s must be a Float32Array, Float64Array, Int32Array or Uint8Array", name);
      return -1;
  }
  if (*length > (size_t)INT32_MAX) {
    snprintf(err, errlen, "%s has %zu elements, more than MPI's int counts allow", name, *length);
    return -1;
  }
  if (*data == NULL && *length > 0) {
    snprintf(err, errlen, "%s is detached", name);
    return -1;
  }
  return 0;
}

/* Copies an Int32Array of exactly `size` entries; 0 on success. */
static int get_ints(napi_env env, napi_value v, int size, int **out, const char *name, char *err, size_t errlen) {
  bool is = false;
  napi_typedarray_type t;
  size_t len;
  void *data;
  napi_value ab;
  size_t off;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is || napi_get_typedarray_info(env, v, &t, &len, &data, &ab, &off) != napi_ok || t != napi_int32_array) {
    snprintf(err, errlen, "%s must be an Int32Array", name);
    return -1;
  }
  if (len != (size_t)size) {
    snprintf(err, errlen, "%s has %zu entries, the communicator has %d ranks", name, len, size);
    return -1;
  }
  *out = malloc(sizeof(int) * (size_t)(size > 0 ? size : 1));
  if (*out == NULL) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memcpy(*out, data, sizeof(int) * (size_t)size);
  return 0;
}

/* Every block [displs[i], displs[i] + counts[i]) lies inside a view of `length` elements; 0 if so. */
static int check_blocks(const int *counts, const int *displs, int size, size_t length, const char *name, char *err, size_t errlen) {
  for (int i = 0; i < size; i++) {
    if (counts[i] < 0 || displs[i] < 0 || (int64_t)displs[i] + counts[i] > (int64_t)length) {
      snprintf(err, errlen, "%s: block %d (displacement %d, count %d) is outside the view of %zu elements", name, i, displs[i], counts[i], length);
      return -1;
    }
  }
  return 0;
}

static int get_int(napi_env env, napi_value v, int *out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

/* ----------------------------------------------------------------------------------------------
 * Per JS thread context and the thread-safe function
 * -------------------------------------------------------------------------------------------- */

static void ctx_env_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  env_ctx *c = data;
  pthread_mutex_lock(&g.mu);
  ctx_unref_locked(c);
  pthread_mutex_unlock(&g.mu);
}

/*
 * The JS thread is being torn down (a worker ending or terminated): wait until the MPI thread is
 * done with every promise request it made. Their buffers may belong to this thread's heap, and a
 * queued collective cannot be withdrawn without putting this rank out of step with the others.
 */
static void ctx_env_cleanup(void *data) {
  env_ctx *c = data;
  pthread_mutex_lock(&g.mu);
  while (c->inflight > 0) pthread_cond_wait(&g.cv, &g.mu);
  ctx_unref_locked(c); /* the cleanup hook's reference */
  pthread_mutex_unlock(&g.mu);
}

/* The tsfn is being torn down (its env is going away): stop posting to it. */
static void tsfn_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  env_ctx *c = data;
  pthread_mutex_lock(&g.mu);
  c->alive = 0;
  ctx_unref_locked(c); /* the tsfn's reference */
  pthread_mutex_unlock(&g.mu);
}

static napi_value settle_value(napi_env env, req *r) {
  napi_value v = NULL;
  if (r->op == OP_INIT) {
    napi_value o, x;
    napi_create_object(env, &o);
    pthread_mutex_lock(&g.mu);
    int rank = g.rank, size = g.size;
    char library[sizeof g.library];
    memcpy(library, g.library, sizeof library);
    pthread_mutex_unlock(&g.mu);
    napi_create_int32(env, rank, &x);
    napi_set_named_property(env, o, "rank", x);
    napi_create_int32(env, size, &x);
    napi_set_named_property(env, o, "size", x);
    napi_create_string_utf8(env, library, NAPI_AUTO_LENGTH, &x);
    napi_set_named_property(env, o, "library", x);
    return o;
  }
  napi_get_undefined(env, &v);
  return v;
}

/* On the JS thread: settle the promise, drop the buffers' references, unref the tsfn when idle. */
static void tsfn_call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  env_ctx *c = context;
  req *r = data;
  if (env != NULL) {
    for (int i = 0; i < 2; i++)
      if (r->keep[i]) napi_delete_reference(env, r->keep[i]);
    if (r->rc != 0) {
      napi_value msg, e;
      napi_create_string_utf8(env, r->err, NAPI_AUTO_LENGTH, &msg);
      napi_create_error(env, NULL, msg, &e);
      napi_reject_deferred(env, r->deferred, e);
    } else {
      if (r->op == OP_FINALIZE) join_if_finalized();
      napi_resolve_deferred(env, r->deferred, settle_value(env, r));
    }
    if (--c->pending == 0) napi_unref_threadsafe_function(env, c->tsfn);
  }
  pthread_mutex_lock(&g.mu);
  ctx_unref_locked(c);
  pthread_mutex_unlock(&g.mu);
  req_free(r);
}

static env_ctx *get_ctx(napi_env env) {
  env_ctx *c = NULL;
  if (napi_get_instance_data(env, (void **)&c) != napi_ok || c == NULL) return NULL;
  if (c->tsfn == NULL) {
    napi_value name;
    napi_create_string_utf8(env, "shardgrad-mpi", NAPI_AUTO_LENGTH, &name);
    if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, c, tsfn_finalize, c, tsfn_call_js, &c->tsfn) != napi_ok) {
      c->tsfn = NULL;
      return NULL;
    }
    napi_unref_threadsafe_function(env, c->tsfn);
    pthread_mutex_lock(&g.mu);
    c->alive = 1;
    c->refs++; /* released by tsfn_finalize */
    pthread_mutex_unlock(&g.mu);
  }
  return c;
}

/* ----------------------------------------------------------------------------------------------
 * Submitting requests
 * -------------------------------------------------------------------------------------------- */

/* Why a request cannot be queued now, or NULL. Called with g.mu held. */
static const char *refuse_locked(enum op op) {
  switch (g.state) {
    case ST_NONE: return op == OP_INIT ? NULL : "before init";
    case ST_FAILED: return op == OP_FINALIZE ? NULL : g.init_error;
    case ST_FINALIZING:
    case ST_FINALIZED: return op == OP_FINALIZE ? NULL : "after finalize";
    default: return NULL;
  }
}

/* Runs a request on the MPI thread and waits for it; throws on error. Takes ownership of r. */
static napi_value run_sync(napi_env env, req *r) {
  char msg[448];
  pthread_cond_t cv;
  pthread_cond_init(&cv, NULL);
  r->cv = &cv;
  pthread_mutex_lock(&g.mu);
  const char *why = refuse_locked(r->op);
  if (why) {
    snprintf(msg, sizeof msg, "MPI %s %s", OP_NAMES[r->op], why);
    pthread_mutex_unlock(&g.mu);
    pthread_cond_destroy(&cv);
    req_free(r);
    return throw_msg(env, msg);
  }
  if (r->op == OP_FINALIZE && g.state != ST_FINALIZED) g.state = ST_FINALIZING;
  if (g.state == ST_FINALIZED) {
    r->done = 1; /* a second finalize: nothing to do */
  } else {
    enqueue_locked(r);
  }
  while (!r->done) pthread_cond_wait(&cv, &g.mu);
  pthread_mutex_unlock(&g.mu);
  pthread_cond_destroy(&cv);
  int rc = r->rc;
  if (rc != 0) snprintf(msg, sizeof msg, "%s", r->err);
  int fin = r->op == OP_FINALIZE;
  req_free(r);
  if (fin) join_if_finalized();
  if (rc != 0) return throw_msg(env, msg);
  return NULL;
}

/* Queues a request whose promise the MPI thread settles; returns the promise. Takes ownership of r. */
static napi_value run_async(napi_env env, req *r, napi_value keep0, napi_value keep1) {
  napi_value promise;
  char msg[448];
  env_ctx *c = get_ctx(env);
  if (c == NULL) {
    req_free(r);
    return throw_msg(env, "shardgrad mpi: could not create the thread-safe function");
  }
  if (napi_create_promise(env, &r->deferred, &promise) != napi_ok) {
    req_free(r);
    return throw_msg(env, "shardgrad mpi: could not create a promise");
  }
  pthread_mutex_lock(&g.mu);
  const char *why = refuse_locked(r->op);
  if (why == NULL && r->op == OP_INIT) why = start_locked();
  if (why || (r->op == OP_FINALIZE && g.state == ST_FINALIZED) || (r->op == OP_FINALIZE && g.state == ST_NONE)) {
    pthread_mutex_unlock(&g.mu);
    if (why) {
      napi_value m, e;
      snprintf(msg, sizeof msg, "MPI %s %s", OP_NAMES[r->op], why);
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
      napi_create_error(env, NULL, m, &e);
      napi_reject_deferred(env, r->deferred, e);
    } else {
      napi_value u;
      napi_get_undefined(env, &u);
      napi_resolve_deferred(env, r->deferred, u); /* finalize before init or after finalize: nothing to do */
    }
    req_free(r);
    return promise;
  }
  if (keep0) napi_create_reference(env, keep0, 1, &r->keep[0]);
  if (keep1) napi_create_reference(env, keep1, 1, &r->keep[1]);
  r->ctx = c;
  c->refs++;
  c->inflight++;
  if (c->pending++ == 0) napi_ref_threadsafe_function(env, c->tsfn);
  if (r->op == OP_FINALIZE) g.state = ST_FINALIZING;
  enqueue_locked(r);
  pthread_mutex_unlock(&g.mu);
  return promise;
}

static req *new_req(enum op op) {
  req *r = calloc(1, sizeof *r);
  if (r) r->op = op;
  return r;
}

/* The size of MPI_COMM_WORLD for argument checks, waiting out a start in progress; -1 if not started. */
static int world_size(void) {
  pthread_mutex_lock(&g.mu);
  while (g.state == ST_STARTING) pthread_cond_wait(&g.cv, &g.mu);
  int s = g.state == ST_NONE ? -1 : g.size;
  pthread_mutex_unlock(&g.mu);
  return s;
}

/* Builds the request for a collective from (args, argc) as the JS side passes them; NULL after throwing. */
static req *build_collective(napi_env env, enum op op, napi_value *argv, size_t argc) {
  char err[300];
  req *r = new_req(op);
  if (r == NULL) return (req *)throw_msg(env, "out of memory");
  size_t len = 0, len2 = 0;
  int size = -1;
  if (op != OP_BARRIER) {
    if (argc < 1 || get_view(env, argv[0], &r->buf, &len, &r->elem, "view", err, sizeof err)) goto fail;
  }
  if (op == OP_ALLGATHERV || op == OP_ALLTOALLV) {
    size = world_size();
    if (size < 0) {
      snprintf(err, sizeof err, "MPI %s before init", OP_NAMES[op]);
      goto fail;
    }
    if (size == 0) {
      pthread_mutex_lock(&g.mu);
      snprintf(err, sizeof err, "MPI is unavailable: %s", g.init_error);
      pthread_mutex_unlock(&g.mu);
      goto fail;
    }
  }
  switch (op) {
    case OP_ALLGATHERV:
      if (argc < 3 || get_ints(env, argv[1], size, &r->counts, "counts", err, sizeof err) || get_ints(env, argv[2], size, &r->displs, "displs", err, sizeof err)) goto fail;
      if (check_blocks(r->counts, r->displs, size, len, "allgatherv", err, sizeof err)) goto fail;
      break;
    case OP_ALLREDUCE: {
      int o;
      if (argc < 2 || get_int(env, argv[1], &o) || o < RED_SUM || o > RED_MIN) {
        snprintf(err, sizeof err, "allreduce: op must be 'sum', 'max' or 'min'");
        goto fail;
      }
      r->redop = (enum redop)o;
      r->count = (int)len;
      break;
    }
    case OP_ALLTOALLV: {
      enum elem e2;
      if (argc < 6 || get_ints(env, argv[1], size, &r->counts, "sendCounts", err, sizeof err) || get_ints(env, argv[2], size, &r->displs, "sendDispls", err, sizeof err) ||
          get_view(env, argv[3], &r->buf2, &len2, &e2, "recv", err, sizeof err) || get_ints(env, argv[4], size, &r->counts2, "recvCounts", err, sizeof err) ||
          get_ints(env, argv[5], size, &r->displs2, "recvDispls", err, sizeof err))
        goto fail;
      if (e2 != r->elem) {
        snprintf(err, sizeof err, "alltoallv: send and recv must have the same element type");
        goto fail;
      }
      if (check_blocks(r->counts, r->displs, size, len, "alltoallv send", err, sizeof err) || check_blocks(r->counts2, r->displs2, size, len2, "alltoallv recv", err, sizeof err)) goto fail;
      break;
    }
    case OP_BCAST:
      if (argc < 2 || get_int(env, argv[1], &r->root)) {
        snprintf(err, sizeof err, "bcast: root must be an integer");
        goto fail;
      }
      r->count = (int)len;
      {
        int s = world_size();
        if (s > 0 && (r->root < 0 || r->root >= s)) {
          snprintf(err, sizeof err, "bcast: root %d is not a rank of %d", r->root, s);
          goto fail;
        }
      }
      break;
    default:
      break;
  }
  return r;
fail:
  req_free(r);
  return (req *)throw_msg(env, err);
}

#define ARGS(n)                                            \
  size_t argc = (n);                                       \
  napi_value argv[(n) > 0 ? (n) : 1];                      \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL))

static napi_value collective(napi_env env, napi_callback_info info, enum op op, int async) {
  ARGS(6);
  req *r = build_collective(env, op, argv, argc);
  if (r == NULL) return NULL;
  if (!async) return run_sync(env, r);
  napi_value k0 = op == OP_BARRIER ? NULL : argv[0];
  napi_value k1 = op == OP_ALLTOALLV ? argv[3] : NULL;
  return run_async(env, r, k0, k1);
}

static napi_value js_allgatherv_sync(napi_env env, napi_callback_info info) { return collective(env, info, OP_ALLGATHERV, 0); }
static napi_value js_allreduce_sync(napi_env env, napi_callback_info info) { return collective(env, info, OP_ALLREDUCE, 0); }
static napi_value js_alltoallv_sync(napi_env env, napi_callback_info info) { return collective(env, info, OP_ALLTOALLV, 0); }
static napi_value js_bcast_sync(napi_env env, napi_callback_info info) { return collective(env, info, OP_BCAST, 0); }
static napi_value js_barrier_sync(napi_env env, napi_callback_info info) { return collective(env, info, OP_BARRIER, 0); }
static napi_value js_allgatherv(napi_env env, napi_callback_info info) { return collective(env, info, OP_ALLGATHERV, 1); }
static napi_value js_allreduce(napi_env env, napi_callback_info info) { return collective(env, info, OP_ALLREDUCE, 1); }
static napi_value js_alltoallv(napi_env env, napi_callback_info info) { return collective(env, info, OP_ALLTOALLV, 1); }
static napi_value js_bcast(napi_env env, napi_callback_info info) { return collective(env, info, OP_BCAST, 1); }
static napi_value js_barrier(napi_env env, napi_callback_info info) { return collective(env, info, OP_BARRIER, 1); }

static napi_value js_init(napi_env env, napi_callback_info info) {
  (void)info;
  req *r = new_req(OP_INIT);
  if (r == NULL) return throw_msg(env, "out of memory");
  return run_async(env, r, NULL, NULL);
}

static napi_value js_finalize(napi_env env, napi_callback_info info) {
  (void)info;
  req *r = new_req(OP_FINALIZE);
  if (r == NULL) return throw_msg(env, "out of memory");
  return run_async(env, r, NULL, NULL);
}

/* finalizeSync(): blocks until MPI_Finalize is done (no-op before init or after finalize). */
static napi_value js_finalize_sync(napi_env env, napi_callback_info info) {
  (void)info;
  pthread_mutex_lock(&g.mu);
  enum state s = g.state;
  pthread_mutex_unlock(&g.mu);
  if (s == ST_NONE) return NULL;
  req *r = new_req(OP_FINALIZE);
  if (r == NULL) return throw_msg(env, "out of memory");
  return run_sync(env, r);
}

/*
 * exitHook(code): for the process's 'exit' event. A clean exit (code 0) with MPI initialized and
 * the MPI thread idle finalizes (waiting for the other ranks to finalize too, as MPI_Finalize
 * does); otherwise the process ends without MPI_Finalize and the launcher sees a rank end early.
 * Returns true when it finalized.
 */
static napi_value js_exit_hook(napi_env env, napi_callback_info info) {
  ARGS(1);
  int code = 0;
  if (argc >= 1) get_int(env, argv[0], &code);
  pthread_mutex_lock(&g.mu);
  while (g.state == ST_STARTING) pthread_cond_wait(&g.cv, &g.mu);
  int idle = g.head == NULL && !g.busy;
  int go = code == 0 && g.state == ST_READY && idle;
  pthread_mutex_unlock(&g.mu);
  napi_value out;
  napi_get_boolean(env, go, &out);
  if (!go) return out;
  req *r = new_req(OP_FINALIZE);
  if (r == NULL) return out;
  run_sync(env, r);
  return out;
}

/* abort(code): MPI_Abort(MPI_COMM_WORLD, code) on the MPI thread when it is idle; if it is inside a
 * call for more than a second, from the calling thread (the job is being torn down either way). */
static napi_value js_abort(napi_env env, napi_callback_info info) {
  ARGS(1);
  int code = 1;
  if (argc >= 1) get_int(env, argv[0], &code);
  pthread_mutex_lock(&g.mu);
  const char *why = refuse_locked(OP_ABORT);
  if (why == NULL && g.state == ST_FINALIZING) why = "after finalize";
  if (why) {
    char msg[448];
    snprintf(msg, sizeof msg, "MPI abort %s", why);
    pthread_mutex_unlock(&g.mu);
    return throw_msg(env, msg);
  }
  req *r = new_req(OP_ABORT);
  if (r == NULL) {
    pthread_mutex_unlock(&g.mu);
    return throw_msg(env, "out of memory");
  }
  r->code = code;
  /* to the front of the queue */
  r->next = g.head;
  g.head = r;
  if (g.tail == NULL) g.tail = r;
  pthread_cond_broadcast(&g.cv);
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 1;
  while (!r->done) {
    if (pthread_cond_timedwait(&g.cv, &g.mu, &until) == ETIMEDOUT) break;
  }
  pthread_mutex_unlock(&g.mu);
  MPI_Abort(MPI_COMM_WORLD, code);
  _exit(code ? code : 1);
}

/* wtime(): seconds on the monotonic clock, the clock MPI_Wtime reads (not an MPI call, so any thread
 * may read it without a hop to the MPI thread). */
static napi_value js_wtime(napi_env env, napi_callback_info info) {
  (void)info;
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  napi_value v;
  napi_create_double(env, (double)t.tv_sec + 1e-9 * (double)t.tv_nsec, &v);
  return v;
}

/* state(): { state, rank, size, provided, library, libmpi, error } — synchronous, any thread. */
static napi_value js_state(napi_env env, napi_callback_info info) {
  (void)info;
  static const char *const NAMES[] = {"none", "starting", "ready", "failed", "finalizing", "finalized"};
  napi_value o, x;
  CHECK(napi_create_object(env, &o));
  pthread_mutex_lock(&g.mu);
  napi_create_string_utf8(env, NAMES[g.state], NAPI_AUTO_LENGTH, &x);
  napi_set_named_property(env, o, "state", x);
  napi_create_int32(env, g.rank, &x);
  napi_set_named_property(env, o, "rank", x);
  napi_create_int32(env, g.size, &x);
  napi_set_named_property(env, o, "size", x);
  napi_create_int32(env, g.provided, &x);
  napi_set_named_property(env, o, "provided", x);
  napi_create_string_utf8(env, g.library, NAPI_AUTO_LENGTH, &x);
  napi_set_named_property(env, o, "library", x);
  napi_create_string_utf8(env, g.lib_path, NAPI_AUTO_LENGTH, &x);
  napi_set_named_property(env, o, "libmpi", x);
  napi_create_string_utf8(env, g.init_error, NAPI_AUTO_LENGTH, &x);
  napi_set_named_property(env, o, "error", x);
  int idle = g.head == NULL && !g.busy;
  napi_get_boolean(env, idle, &x);
  napi_set_named_property(env, o, "idle", x);
  pthread_mutex_unlock(&g.mu);
  return o;
}

/* waitReady(): blocks until a start in progress has finished (any thread). */
static napi_value js_wait_ready(napi_env env, napi_callback_info info) {
  (void)info;
  world_size();
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

NAPI_MODULE_INIT() {
  env_ctx *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->refs = 2; /* the env (instance data) and the cleanup hook */
  if (napi_set_instance_data(env, c, ctx_env_finalize, NULL) != napi_ok) {
    free(c);
    return NULL;
  }
  if (napi_add_env_cleanup_hook(env, ctx_env_cleanup, c) != napi_ok) {
    pthread_mutex_lock(&g.mu);
    ctx_unref_locked(c);
    pthread_mutex_unlock(&g.mu);
  }
  napi_property_descriptor props[] = {
      {"init", NULL, js_init, NULL, NULL, NULL, napi_default, NULL},
      {"finalize", NULL, js_finalize, NULL, NULL, NULL, napi_default, NULL},
      {"finalizeSync", NULL, js_finalize_sync, NULL, NULL, NULL, napi_default, NULL},
      {"exitHook", NULL, js_exit_hook, NULL, NULL, NULL, napi_default, NULL},
      {"abort", NULL, js_abort, NULL, NULL, NULL, napi_default, NULL},
      {"wtime", NULL, js_wtime, NULL, NULL, NULL, napi_default, NULL},
      {"state", NULL, js_state, NULL, NULL, NULL, napi_default, NULL},
      {"waitReady", NULL, js_wait_ready, NULL, NULL, NULL, napi_default, NULL},
      {"allgathervSync", NULL, js_allgatherv_sync, NULL, NULL, NULL, napi_default, NULL},
      {"allreduceSync", NULL, js_allreduce_sync, NULL, NULL, NULL, napi_default, NULL},
      {"alltoallvSync", NULL, js_alltoallv_sync, NULL, NULL, NULL, napi_default, NULL},
      {"bcastSync", NULL, js_bcast_sync, NULL, NULL, NULL, napi_default, NULL},
      {"barrierSync", NULL, js_barrier_sync, NULL, NULL, NULL, napi_default, NULL},
      {"allgatherv", NULL, js_allgatherv, NULL, NULL, NULL, napi_default, NULL},
      {"allreduce", NULL, js_allreduce, NULL, NULL, NULL, napi_default, NULL},
      {"alltoallv", NULL, js_alltoallv, NULL, NULL, NULL, napi_default, NULL},
      {"bcast", NULL, js_bcast, NULL, NULL, NULL, napi_default, NULL},
      {"barrier", NULL, js_barrier, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
