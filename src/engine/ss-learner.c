/* ss-learner.c: online logistic regression on hashed byte 4-grams, and its model file */
#include "config.h"

#include "ss-learner.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC           "SsLearn\n"
#define FILE_VERSION    1
#define FORMAT_FLOAT32  1
#define HEADER_SIZE     64
#define CHECKSUM_SIZE   32   /* SHA-256 */
#define IO_WEIGHTS      16384   /* weights per read or write: a 64 KiB buffer, not the model */

struct _SsLearner
{
  guint     bits;
  guint32   mask;
  float    *weights;         /* 2^bits */
  guint64   n_ham;
  guint64   n_spam;
  guint64   n_updates;
  double    rate;
  double    train_margin;
};

G_DEFINE_QUARK (ss-learner-error-quark, ss_learner_error)
G_DEFINE_BOXED_TYPE (SsLearner, ss_learner, ss_learner_ref, ss_learner_unref)

SsLearner *
ss_learner_new_full (guint bits)
{
  SsLearner *self;

  g_return_val_if_fail (bits >= SS_LEARNER_MIN_BITS && bits <= SS_LEARNER_MAX_BITS, NULL);

  self = g_rc_box_new0 (SsLearner);
  self->bits = bits;
  self->mask = (1u << bits) - 1;
  self->weights = g_new0 (float, (gsize) 1 << bits);
  self->rate = SS_LEARNER_DEFAULT_RATE;
  self->train_margin = SS_LEARNER_DEFAULT_TRAIN_MARGIN;
  return self;
}

SsLearner *
ss_learner_new (void)
{
  return ss_learner_new_full (SS_LEARNER_DEFAULT_BITS);
}

SsLearner *
ss_learner_ref (SsLearner *self)
{
  return g_rc_box_acquire (self);
}

static void
learner_clear (gpointer data)
{
  SsLearner *self = data;

  g_free (self->weights);
}

void
ss_learner_unref (SsLearner *self)
{
  g_rc_box_release_full (self, learner_clear);
}

void
ss_learner_set_rate (SsLearner *self,
                     double     rate)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (rate > 0 && rate < 10);
  self->rate = rate;
}

void
ss_learner_set_train_margin (SsLearner *self,
                             double     train_margin)
{
  g_return_if_fail (self != NULL);
  self->train_margin = train_margin;
}

guint64
ss_learner_get_n_ham (SsLearner *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_ham;
}

guint64
ss_learner_get_n_spam (SsLearner *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_spam;
}

guint64
ss_learner_get_n_updates (SsLearner *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_updates;
}

guint
ss_learner_get_bits (SsLearner *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->bits;
}

/* ---- features ---- */

/* murmur3's finaliser: every input bit reaches the low bits we keep */
static inline guint32
mix32 (guint32 x)
{
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

/* Open addressing over the 4-grams of one message, to keep each once: much cheaper than
 * sorting them (a power of two, well above SS_LEARNER_PREFIX). */
#define SEEN_SLOTS  16384
G_STATIC_ASSERT (SEEN_SLOTS >= 2 * SS_LEARNER_PREFIX);

/* The distinct weight indexes of msg's 4-grams (binary features) into out, in the order
 * first seen; their number. */
static guint
extract (const SsLearner *self,
         const guint8    *msg,
         gsize            len,
         guint32          out[SS_LEARNER_PREFIX])
{
  guint32 seen[SEEN_SLOTS];   /* index + 1; 0: empty */
  guint32 x = 0;
  guint n_bytes = 0, n = 0;

  memset (seen, 0, sizeof seen);
  for (gsize i = 0; i < len && n_bytes < SS_LEARNER_PREFIX; i++)
    {
      guint32 f, slot;

      if (msg[i] == '\r')   /* CRLF (IMAP) and LF (files) give the same features */
        continue;
      x = (x << 8) | msg[i];
      if (++n_bytes < SS_LEARNER_NGRAM)
        continue;
      f = mix32 (x) & self->mask;
      /* f's low bits are already well mixed */
      for (slot = f & (SEEN_SLOTS - 1); seen[slot] != 0 && seen[slot] != f + 1;
           slot = (slot + 1) & (SEEN_SLOTS - 1))
        ;
      if (seen[slot] == 0)
        {
          seen[slot] = f + 1;
          out[n++] = f;
        }
    }
  return n;
}

static double
margin_of (const SsLearner *self,
           const guint32   *features,
           guint            n)
{
  double sum = 0;

  for (guint i = 0; i < n; i++)
    sum += self->weights[features[i]];
  return sum;
}

double
ss_learner_score (SsLearner    *self,
                  const guint8 *msg,
                  gsize         len)
{
  guint32 features[SS_LEARNER_PREFIX];
  guint n;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (msg != NULL || len == 0, 0);

  n = extract (self, msg, len, features);
  return margin_of (self, features, n);
}

double
ss_learner_probability (double margin)
{
  if (isnan (margin))
    return 0.5;
  if (margin >= 0)
    return 1 / (1 + exp (-margin));
  return exp (margin) / (1 + exp (margin));
}

gboolean
ss_learner_learn (SsLearner    *self,
                  const guint8 *msg,
                  gsize         len,
                  gboolean      is_spam)
{
  guint32 features[SS_LEARNER_PREFIX];
  double margin, step;
  guint n;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (msg != NULL || len == 0, FALSE);

  if (is_spam)
    self->n_spam++;
  else
    self->n_ham++;
  n = extract (self, msg, len, features);
  margin = margin_of (self, features, n);
  if (n == 0 || (is_spam ? margin : -margin) > self->train_margin)
    return FALSE;
  /* gradient of the log-likelihood for binary features: (y - p) */
  step = self->rate * ((is_spam ? 1.0 : 0.0) - ss_learner_probability (margin));
  for (guint i = 0; i < n; i++)
    self->weights[features[i]] += (float) step;
  self->n_updates++;
  return TRUE;
}

double
ss_learner_fuse_logodds (double spamd_score,
                         double spamd_required,
                         double learner_margin,
                         double logodds_per_point)
{
  double z = isnan (learner_margin) ? 0 : learner_margin;

  if (!isnan (spamd_score) && !isnan (spamd_required))
    z += (spamd_score - spamd_required) * logodds_per_point;
  return z;
}

double
ss_learner_fuse (double spamd_score,
                 double spamd_required,
                 double learner_margin)
{
  return ss_learner_probability (ss_learner_fuse_logodds (spamd_score, spamd_required,
                                                          learner_margin,
                                                          SS_LEARNER_SPAMD_LOGODDS_PER_POINT));
}

/* ---- the model file ---- */

gsize
ss_learner_file_size (guint bits)
{
  return HEADER_SIZE + (sizeof (float) << bits) + CHECKSUM_SIZE;
}

static void put32 (guint8 *p, guint32 v) { v = GUINT32_TO_LE (v); memcpy (p, &v, 4); }
static void put64 (guint8 *p, guint64 v) { v = GUINT64_TO_LE (v); memcpy (p, &v, 8); }
static guint32 get32 (const guint8 *p) { guint32 v; memcpy (&v, p, 4); return GUINT32_FROM_LE (v); }
static guint64 get64 (const guint8 *p) { guint64 v; memcpy (&v, p, 8); return GUINT64_FROM_LE (v); }

static void
checksum (const guint8 *data,
          gsize         len,
          guint8        digest[CHECKSUM_SIZE])
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize digest_len = CHECKSUM_SIZE;

  g_checksum_update (sum, data, len);
  g_checksum_get_digest (sum, digest, &digest_len);
}

/* The header for self's model (HEADER_SIZE bytes at data). */
static void
put_header (SsLearner *self,
            guint8    *data)
{
  memset (data, 0, HEADER_SIZE);
  memcpy (data, MAGIC, 8);
  put32 (data + 8, FILE_VERSION);
  put32 (data + 12, self->bits);
  put32 (data + 16, SS_LEARNER_NGRAM);
  put32 (data + 20, SS_LEARNER_PREFIX);
  put32 (data + 24, FORMAT_FLOAT32);
  put64 (data + 32, self->n_ham);
  put64 (data + 40, self->n_spam);
  put64 (data + 48, self->n_updates);
}

/* Weights first .. first + n - 1 as little-endian float32 at data. */
static void
put_weights (SsLearner *self,
             gsize      first,
             gsize      n,
             guint8    *data)
{
  for (gsize i = 0; i < n; i++)
    {
      guint32 v;

      memcpy (&v, &self->weights[first + i], 4);
      put32 (data + 4 * i, v);
    }
}

/* Checks the header (the first avail bytes of a model of total bytes, avail = MIN (total,
 * HEADER_SIZE)) and the total size; sets *bits. */
static gboolean
check_header (const guint8  *data,
              gsize          avail,
              gsize          total,
              guint32       *bits,
              GError       **error)
{
  if (avail < 8 ? avail > 0 && memcmp (data, MAGIC, avail) != 0 : memcmp (data, MAGIC, 8) != 0)
    {
      g_set_error_literal (error, SS_LEARNER_ERROR, SS_LEARNER_ERROR_FOREIGN,
                           "Not a learner model (wrong magic)");
      return FALSE;
    }
  if (avail < HEADER_SIZE)
    {
      g_set_error (error, SS_LEARNER_ERROR, SS_LEARNER_ERROR_TRUNCATED,
                   "Learner model truncated: %" G_GSIZE_FORMAT " bytes, no complete header",
                   total);
      return FALSE;
    }
  *bits = get32 (data + 12);
  /* The prefix length is not checked: a weight belongs to a 4-gram wherever it was seen, so a
   * model made with another prefix (3072 bytes in earlier versions) goes on learning as it is. */
  if (get32 (data + 8) != FILE_VERSION || get32 (data + 16) != SS_LEARNER_NGRAM ||
      get32 (data + 20) == 0 || get32 (data + 24) != FORMAT_FLOAT32 ||
      get32 (data + 28) != 0 || get64 (data + 56) != 0 ||   /* reserved */
      *bits < SS_LEARNER_MIN_BITS || *bits > SS_LEARNER_MAX_BITS)
    {
      g_set_error (error, SS_LEARNER_ERROR, SS_LEARNER_ERROR_VERSION,
                   "Learner model of an unknown version or shape (version %u, %u bits, "
                   "%u-grams of %u bytes, format %u)", get32 (data + 8), *bits,
                   get32 (data + 16), get32 (data + 20), get32 (data + 24));
      return FALSE;
    }
  if (total != ss_learner_file_size (*bits))
    {
      gboolean shorter = total < ss_learner_file_size (*bits);

      g_set_error (error, SS_LEARNER_ERROR,
                   shorter ? SS_LEARNER_ERROR_TRUNCATED : SS_LEARNER_ERROR_CORRUPT,
                   "Learner model %s: %" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT,
                   shorter ? "truncated" : "too long", total, ss_learner_file_size (*bits));
      return FALSE;
    }
  return TRUE;
}

/* A new learner with the header's shape and counts. */
static SsLearner *
new_from_header (const guint8 *data,
                 guint32       bits)
{
  SsLearner *self = ss_learner_new_full (bits);

  self->n_ham = get64 (data + 32);
  self->n_spam = get64 (data + 40);
  self->n_updates = get64 (data + 48);
  return self;
}

/* Weights first .. first + n - 1 from data. Zeros are left alone (the fresh pages stay
 * untouched); *bad is set to the first implausible one's index (if it is still G_MAXSIZE). */
static void
take_weights (SsLearner    *self,
              const guint8 *data,
              gsize         first,
              gsize         n,
              gsize        *bad)
{
  for (gsize i = 0; i < n; i++)
    {
      guint32 v = get32 (data + 4 * i);
      float w;

      if (v == 0)
        continue;
      memcpy (&w, &v, 4);
      self->weights[first + i] = w;
      /* learning moves a weight by less than rate per message: far below 1e6 */
      if ((!isfinite (w) || fabsf (w) > 1e6f) && *bad == G_MAXSIZE)
        *bad = first + i;
    }
}

static SsLearner *
refuse_bad_weight (SsLearner  *self,
                   gsize       bad,
                   GError    **error)
{
  g_set_error (error, SS_LEARNER_ERROR, SS_LEARNER_ERROR_CORRUPT,
               "Learner model corrupt (weight %" G_GSIZE_FORMAT " is %g)",
               bad, (double) self->weights[bad]);
  ss_learner_unref (self);
  return NULL;
}

GBytes *
ss_learner_serialize (SsLearner *self)
{
  gsize size = ss_learner_file_size (self->bits);
  guint8 *data = g_malloc (size);

  put_header (self, data);
  put_weights (self, 0, (gsize) 1 << self->bits, data + HEADER_SIZE);
  checksum (data, size - CHECKSUM_SIZE, data + size - CHECKSUM_SIZE);
  return g_bytes_new_take (data, size);
}

SsLearner *
ss_learner_new_from_data (const guint8  *data,
                          gsize          len,
                          GError       **error)
{
  SsLearner *self;
  guint8 digest[CHECKSUM_SIZE];
  gsize bad = G_MAXSIZE;
  guint32 bits;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (!check_header (data, MIN (len, HEADER_SIZE), len, &bits, error))
    return NULL;
  checksum (data, len - CHECKSUM_SIZE, digest);
  if (memcmp (digest, data + len - CHECKSUM_SIZE, CHECKSUM_SIZE) != 0)
    {
      g_set_error_literal (error, SS_LEARNER_ERROR, SS_LEARNER_ERROR_CORRUPT,
                           "Learner model corrupt (checksum mismatch)");
      return NULL;
    }
  self = new_from_header (data, bits);
  take_weights (self, data + HEADER_SIZE, 0, (gsize) 1 << bits, &bad);
  return bad != G_MAXSIZE ? refuse_bad_weight (self, bad, error) : self;
}

static gboolean
set_io_error (GError     **error,
              int          saved_errno,
              const char  *what,
              const char  *path)
{
  g_set_error (error, SS_LEARNER_ERROR, SS_LEARNER_ERROR_IO, "Cannot %s %s: %s",
               what, path, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

/* Writes what of data fits below stop_at bytes in all; FALSE on error or when stopped. */
static gboolean
emit (int           fd,
      const guint8 *data,
      gsize         len,
      gsize         stop_at,
      gsize        *written)
{
  gsize n = MIN (len, stop_at - *written);

  if (!write_all (fd, data, n))
    return FALSE;
  *written += n;
  return n == len;
}

/* Writes the model file to fd a block at a time (no copy of the whole model), its first
 * stop_at bytes at the most (a crash mid-write, for tests; else G_MAXSIZE). */
static gboolean
write_model (SsLearner *self,
             int        fd,
             gsize      stop_at)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *block = g_malloc (MAX (HEADER_SIZE, 4 * IO_WEIGHTS));
  gsize n = (gsize) 1 << self->bits;
  gsize written = 0;
  guint8 digest[CHECKSUM_SIZE];
  gsize digest_len = CHECKSUM_SIZE;

  put_header (self, block);
  g_checksum_update (sum, block, HEADER_SIZE);
  if (!emit (fd, block, HEADER_SIZE, stop_at, &written))
    return FALSE;
  for (gsize first = 0; first < n; first += IO_WEIGHTS)
    {
      gsize count = MIN (IO_WEIGHTS, n - first);

      put_weights (self, first, count, block);
      g_checksum_update (sum, block, 4 * count);
      if (!emit (fd, block, 4 * count, stop_at, &written))
        return FALSE;
    }
  g_checksum_get_digest (sum, digest, &digest_len);
  return emit (fd, digest, CHECKSUM_SIZE, stop_at, &written);
}

gboolean
ss_learner_save (SsLearner   *self,
                 const char  *path,
                 GError     **error)
{
  g_autofree char *tmp = NULL;
  g_autofree char *dir = NULL;
  const char *crash = g_getenv ("SS_DEBUG_LEARNER_CRASH");
  int fd, dir_fd;

  g_return_val_if_fail (self != NULL && path != NULL, FALSE);

  tmp = g_strconcat (path, ".tmp", NULL);
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    return set_io_error (error, errno, "create the folder", dir);
  /* a fixed temp name: a crash's leftover is overwritten by the next save, not piled up */
  fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return set_io_error (error, errno, "create", tmp);
  if (g_strcmp0 (crash, "write") == 0)
    {
      write_model (self, fd, ss_learner_file_size (self->bits) / 2);
      g_printerr ("spamsieve: SS_DEBUG_LEARNER_CRASH=write: exiting mid-write\n");
      _exit (99);
    }
  if (!write_model (self, fd, G_MAXSIZE) || fsync (fd) != 0)
    {
      int saved_errno = errno;

      close (fd);
      g_unlink (tmp);
      return set_io_error (error, saved_errno, "write", tmp);
    }
  if (close (fd) != 0)
    {
      int saved_errno = errno;

      g_unlink (tmp);
      return set_io_error (error, saved_errno, "write", tmp);
    }
  if (g_strcmp0 (crash, "rename") == 0)
    {
      g_printerr ("spamsieve: SS_DEBUG_LEARNER_CRASH=rename: exiting before the rename\n");
      _exit (99);
    }
  if (g_rename (tmp, path) != 0)
    {
      int saved_errno = errno;

      g_unlink (tmp);
      return set_io_error (error, saved_errno, "replace", path);
    }
  /* make the rename itself durable */
  dir_fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
  return TRUE;
}

/* Reads len bytes (fewer only at the end of the file: *got says how many). */
static gboolean
read_full (int     fd,
           guint8 *data,
           gsize   len,
           gsize  *got)
{
  *got = 0;
  while (*got < len)
    {
      ssize_t n = read (fd, data + *got, len - *got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      *got += n;
    }
  return TRUE;
}

/* The model in fd (of size bytes), read a block at a time into the learner's weights. */
static SsLearner *
read_model (int          fd,
            gsize        size,
            const char  *path,
            GError     **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *block = g_malloc (MAX (HEADER_SIZE, 4 * IO_WEIGHTS));
  g_autoptr(SsLearner) self = NULL;
  guint8 digest[CHECKSUM_SIZE], stored[CHECKSUM_SIZE];
  gsize digest_len = CHECKSUM_SIZE, got, n, bad = G_MAXSIZE;
  guint32 bits;

  if (!read_full (fd, block, MIN (size, HEADER_SIZE), &got))
    goto io_error;
  if (!check_header (block, got, size, &bits, error))
    return NULL;
  g_checksum_update (sum, block, HEADER_SIZE);
  self = new_from_header (block, bits);
  n = (gsize) 1 << bits;
  for (gsize first = 0; first < n; first += IO_WEIGHTS)
    {
      gsize count = MIN (IO_WEIGHTS, n - first);

      if (!read_full (fd, block, 4 * count, &got))
        goto io_error;
      if (got < 4 * count)
        break;   /* shrunk under us: the checksum says so */
      g_checksum_update (sum, block, 4 * count);
      take_weights (self, block, first, count, &bad);
    }
  if (!read_full (fd, stored, CHECKSUM_SIZE, &got))
    goto io_error;
  g_checksum_get_digest (sum, digest, &digest_len);
  if (got < CHECKSUM_SIZE || memcmp (digest, stored, CHECKSUM_SIZE) != 0)
    {
      g_set_error_literal (error, SS_LEARNER_ERROR, SS_LEARNER_ERROR_CORRUPT,
                           "Learner model corrupt (checksum mismatch)");
      return NULL;
    }
  if (bad != G_MAXSIZE)
    return refuse_bad_weight (g_steal_pointer (&self), bad, error);
  return g_steal_pointer (&self);

io_error:
  {
    int saved_errno = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                 "Cannot read %s: %s", path, g_strerror (saved_errno));
    return NULL;
  }
}

SsLearner *
ss_learner_load (const char  *path,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  SsLearner *self;
  GStatBuf st;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  /* read a block at a time, not mapped or read whole: the model is in memory once; a huge
   * foreign file is refused by its size, not loaded */
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot open %s: %s", path, g_strerror (saved_errno));
      if (fd >= 0)
        close (fd);
      return NULL;
    }
  self = read_model (fd, (gsize) st.st_size, path, &local_error);
  close (fd);
  if (self == NULL)
    {
      if (local_error->domain == SS_LEARNER_ERROR)
        g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s: ", path);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
    }
  return self;
}

SsLearner *
ss_learner_open (const char  *path,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *aside = NULL;
  SsLearner *self = ss_learner_load (path, &local_error);

  if (self != NULL)
    return self;
  if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    return ss_learner_new ();
  if (local_error->domain != SS_LEARNER_ERROR || local_error->code == SS_LEARNER_ERROR_IO)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  aside = g_strdup_printf ("%s.corrupt-%" G_GINT64_FORMAT, path,
                           g_get_real_time () / G_USEC_PER_SEC);
  if (g_rename (path, aside) != 0)
    {
      set_io_error (error, errno, "move aside", path);
      return NULL;
    }
  g_message ("%s; moved to %s and started a new learner", local_error->message, aside);
  return ss_learner_new ();
}

char *
ss_learner_default_path (const char *account)
{
  g_autofree char *escaped = g_uri_escape_string (account, NULL, FALSE);
  g_autofree char *name = g_strconcat ("learner-", escaped, ".model", NULL);

  return g_build_filename (g_get_user_data_dir (), "spamsieve", name, NULL);
}
