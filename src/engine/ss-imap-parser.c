/* ss-imap-parser.c: pure, byte-exact, bounded IMAP response parser (no I/O)
 *
 * Every call parses from the start of the buffer in two passes over the same code: a measuring
 * pass that validates, enforces the limits and finds the end of the response without allocating
 * anything, and, once the whole response is present, a building pass that creates the tree.
 * Literal bodies are skipped by offset while measuring, so re-parsing a buffer that ends inside a
 * 50 MB literal costs only the lines around it, and the INCOMPLETE hint points past its end.
 * Lists are tracked on an explicit stack: no recursion depends on the input.
 */
#define G_LOG_DOMAIN "ss-imap-parser"

#include "config.h"

#include "ss-imap-parser.h"

#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK (ss-imap-parse-error-quark, ss_imap_parse_error)

#define DEFAULT_MAX_LITERAL  ((gsize) 64 * 1024 * 1024)
#define DEFAULT_MAX_LINE     ((gsize) 1024 * 1024)
#define DEFAULT_MAX_RESPONSE ((gsize) 80 * 1024 * 1024)
#define DEFAULT_MAX_DEPTH    32
#define DEFAULT_MAX_TOKENS   1000000

typedef enum {
  STEP_OK,
  STEP_INCOMPLETE,
  STEP_FAILED,
} Step;

typedef struct
{
  const guint8       *buf;
  gsize               len;
  const SsImapLimits *limits;
  gboolean            build;      /* FALSE: validate and measure only, allocate nothing */
  gsize               pos;        /* next byte to look at */
  gsize               line_end;   /* end of the current line's content (its CR or LF) */
  gsize               next_line;  /* just past the LF of the current line */
  guint               n_nodes;
  gsize               need;       /* INCOMPLETE: minimal total length worth retrying with */
  GError             *error;      /* FAILED: owned until handed to the caller */
} Parser;

void
ss_imap_limits_init_default (SsImapLimits *limits)
{
  g_return_if_fail (limits != NULL);

  limits->max_literal = DEFAULT_MAX_LITERAL;
  limits->max_line = DEFAULT_MAX_LINE;
  limits->max_response = DEFAULT_MAX_RESPONSE;
  limits->max_depth = DEFAULT_MAX_DEPTH;
  limits->max_tokens = DEFAULT_MAX_TOKENS;
}

/* ---------------------------------------------------------------------------------------- */
/* Nodes and responses                                                                       */

void
ss_imap_node_free (SsImapNode *node)
{
  g_autoptr(GPtrArray) pending = NULL;

  if (node == NULL)
    return;

  /* Iterative, so freeing does not recurse as deep as the tree is. */
  pending = g_ptr_array_new ();
  g_ptr_array_add (pending, node);
  while (pending->len > 0)
    {
      SsImapNode *n = g_ptr_array_steal_index_fast (pending, pending->len - 1);

      if (n->children != NULL)
        {
          for (guint i = 0; i < n->children->len; i++)
            g_ptr_array_add (pending, n->children->pdata[i]);
          g_ptr_array_set_free_func (n->children, NULL);
          g_ptr_array_unref (n->children);
        }
      g_free (n->data);
      g_free (n);
    }
}

void
ss_imap_response_free (SsImapResponse *response)
{
  if (response == NULL)
    return;

  g_free (response->tag);
  ss_imap_node_free (response->code);
  g_free (response->text);
  ss_imap_node_free (response->tokens);
  g_free (response);
}

/* ---------------------------------------------------------------------------------------- */
/* Parser primitives                                                                         */

static Step fail (Parser          *p,
                  SsImapParseError code,
                  const char      *format,
                  ...) G_GNUC_PRINTF (3, 4);

static Step
fail (Parser          *p,
      SsImapParseError code,
      const char      *format,
      ...)
{
  va_list args;

  g_clear_error (&p->error);
  va_start (args, format);
  p->error = g_error_new_valist (SS_IMAP_PARSE_ERROR, code, format, args);
  va_end (args);
  return STEP_FAILED;
}

/* The response needs at least `need` bytes in total. */
static Step
incomplete (Parser *p,
            gsize   need)
{
  if (need > p->limits->max_response)
    return fail (p, SS_IMAP_PARSE_ERROR_TOO_LARGE,
                 "Response longer than %" G_GSIZE_FORMAT " bytes", p->limits->max_response);
  p->need = need;
  return STEP_INCOMPLETE;
}

static gsize
saturating_add (gsize a,
                gsize b)
{
  gsize sum;

  return g_size_checked_add (&sum, a, b) ? sum : G_MAXSIZE;
}

/* Finds the end of the line starting at p->pos (LF, or CRLF) within the limits. */
static Step
find_line (Parser *p)
{
  gsize start = p->pos;
  gsize avail;
  gsize window;
  const guint8 *lf;
  gsize eol;

  if (start >= p->len)
    return incomplete (p, saturating_add (p->len, 1));
  avail = p->len - start;
  window = MIN (avail, saturating_add (p->limits->max_line, 2));
  lf = memchr (p->buf + start, '\n', window);
  if (lf == NULL)
    {
      /* Without its LF in max_line + 2 bytes, the line content must be too long. */
      gboolean cr_last = p->buf[p->len - 1] == '\r';

      if (window < avail || avail - (cr_last ? 1 : 0) > p->limits->max_line)
        return fail (p, SS_IMAP_PARSE_ERROR_TOO_LARGE,
                     "Line longer than %" G_GSIZE_FORMAT " bytes", p->limits->max_line);
      return incomplete (p, saturating_add (p->len, 1));
    }

  eol = (gsize) (lf - p->buf);
  p->line_end = (eol > start && p->buf[eol - 1] == '\r') ? eol - 1 : eol;
  p->next_line = eol + 1;
  if (p->line_end - start > p->limits->max_line)
    return fail (p, SS_IMAP_PARSE_ERROR_TOO_LARGE,
                 "Line longer than %" G_GSIZE_FORMAT " bytes", p->limits->max_line);
  if (p->next_line > p->limits->max_response)
    return fail (p, SS_IMAP_PARSE_ERROR_TOO_LARGE,
                 "Response longer than %" G_GSIZE_FORMAT " bytes", p->limits->max_response);
  return STEP_OK;
}

/* Accounts for one node; returns it when building, NULL when measuring. */
static Step
new_node (Parser          *p,
          SsImapNodeType   type,
          SsImapNode     **out)
{
  SsImapNode *node;

  *out = NULL;
  if (p->n_nodes >= p->limits->max_tokens)
    return fail (p, SS_IMAP_PARSE_ERROR_TOO_LARGE,
                 "More than %u tokens in a response", p->limits->max_tokens);
  p->n_nodes++;
  if (!p->build)
    return STEP_OK;

  node = g_new0 (SsImapNode, 1);
  node->type = type;
  if (type == SS_IMAP_NODE_LIST)
    node->children = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_imap_node_free);
  *out = node;
  return STEP_OK;
}

static void
node_append (SsImapNode *list,
             SsImapNode *child)
{
  if (list != NULL && child != NULL)
    g_ptr_array_add (list->children, child);
}

static void
skip_spaces (Parser *p)
{
  while (p->pos < p->line_end && p->buf[p->pos] == ' ')
    p->pos++;
}

/* ATOM-CHAR plus '\\', '%' and '*' (flags like \Seen and \*); ']' ends a response code. */
static gboolean
is_atom_char (guint8   c,
              gboolean in_code)
{
  if (c <= 0x20 || c >= 0x7f)
    return FALSE;
  switch (c)
    {
    case '(':
    case ')':
    case '{':
    case '"':
    case '[':
      return FALSE;
    case ']':
      return !in_code;
    default:
      return TRUE;
    }
}

static gboolean
is_tag_char (guint8 c)
{
  return c > 0x20 && c < 0x7f && strchr ("(){\"\\%*+", c) == NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Tokens                                                                                    */

/* An atom; a '[' inside it extends it through the matching ']', spaces and parens included
 * (BODY[HEADER.FIELDS (FROM)], BODY[]<0>). NIL becomes a NIL node unless allow_nil is FALSE. */
static Step
parse_atom (Parser      *p,
            gboolean     in_code,
            gboolean     allow_nil,
            SsImapNode **out)
{
  gsize start = p->pos;
  gsize brackets = 0;
  gboolean nil;
  Step step;

  for (; p->pos < p->line_end; p->pos++)
    {
      guint8 c = p->buf[p->pos];

      if (c == '[')
        brackets++;
      else if (brackets > 0 && c == ']')
        brackets--;
      else if (brackets > 0 ? (c < 0x20 || c >= 0x7f) : !is_atom_char (c, in_code))
        break;
    }
  if (brackets > 0)
    return fail (p, SS_IMAP_PARSE_ERROR_SYNTAX, "Unterminated '[' in an atom");
  if (p->pos == start)
    return fail (p, SS_IMAP_PARSE_ERROR_SYNTAX, "Unexpected byte 0x%02x", p->buf[p->pos]);

  nil = allow_nil && p->pos - start == 3 &&
        g_ascii_strncasecmp ((const char *) p->buf + start, "NIL", 3) == 0;
  step = new_node (p, nil ? SS_IMAP_NODE_NIL : SS_IMAP_NODE_ATOM, out);
  if (step == STEP_OK && *out != NULL && !nil)
    {
      (*out)->len = p->pos - start;
      (*out)->data = g_strndup ((const char *) p->buf + start, (*out)->len);
    }
  return step;
}

/* "..." with \\ and \" escapes; any other backslash is kept as is. No CR, LF or NUL. */
static Step
parse_quoted (Parser      *p,
              SsImapNode **out)
{
  gsize start = p->pos + 1;
  gsize end;
  char *data;
  gsize n = 0;
  Step step;

  for (end = start; end < p->line_end && p->buf[end] != '"'; end++)
    {
      guint8 c = p->buf[end];

      if (c == '\\' && end + 1 < p->line_end && (p->buf[end + 1] == '\\' || p->buf[end + 1] == '"'))
        end++;
      else if (c == '\0' || c == '\r' || c == '\n')
        return fail (p, SS_IMAP_PARSE_ERROR_SYNTAX, "Control byte in a quoted string");
    }
  if (end >= p->line_end)
    return fail (p, SS_IMAP_PARSE_ERROR_SYNTAX, "Unterminated quoted string");
  p->pos = end + 1;

  step = new_node (p, SS_IMAP_NODE_STRING, out);
  if (step != STEP_OK || *out == NULL)
    return step;
  data = g_malloc (end - start + 1);
  for (gsize i = start; i < end; i++)
    {
      if (p->buf[i] == '\\' && (p->buf[i + 1] == '\\' || p->buf[i + 1] == '"'))
        i++;
      data[n++] = (char) p->buf[i];
    }
  data[n] = '\0';
  (*out)->data = data;
  (*out)->len = n;
  return STEP_OK;
}

/* The N of "{N}", "{N+}" or "~{N}"; the literal must end its line. */
static Step
parse_literal_size (Parser *p,
                    gsize  *size)
{
  gsize n = 0;
  gsize digits = 0;

  if (p->buf[p->pos] == '~')
    p->pos++;
  p->pos++;                                       /* '{' */
  for (; p->pos < p->line_end && g_ascii_isdigit (p->buf[p->pos]); p->pos++, digits++)
    {
      guint d = p->buf[p->pos] - '0';

      if (n > (G_MAXSIZE - d) / 10 || n * 10 + d > p->limits->max_literal)
        return fail (p, SS_IMAP_PARSE_ERROR_TOO_LARGE,
                     "Literal larger than %" G_GSIZE_FORMAT " bytes", p->limits->max_literal);
      n = n * 10 + d;
    }
  if (digits == 0)
    return fail (p, SS_IMAP_PARSE_ERROR_SYNTAX, "Literal without a size");
  if (p->pos < p->line_end && p->buf[p->pos] == '+')
    p->pos++;
  if (p->pos >= p->line_end || p->buf[p->pos] != '}' || p->pos + 1 != p->line_end)
    return fail (p, SS_IMAP_PARSE_ERROR_SYNTAX, "Malformed literal");
  *size = n;
  return STEP_OK;
}

/* A literal: its bytes start on the next line and the current line continues after them. */
static Step
parse_literal (Parser      *p,
               SsImapNode **out)
{
  gsize size = 0;
  gsize data_start;
  gsize data_end;
  Step step;

  *out = NULL;
  if ((step = parse_literal_size (p, &size)) != STEP_OK)
    return step;

  data_start = p->next_line;
  if (!g_size_checked_add (&data_end, data_start, size) || data_end >= p->limits->max_response)
    return fail (p, SS_IMAP_PARSE_ERROR_TOO_LARGE,
                 "Response longer than %" G_GSIZE_FORMAT " bytes", p->limits->max_response);
  if (data_end >= p->len)
    return incomplete (p, data_end + 1);           /* at least an LF follows the data */

  p->pos = data_end;
  if ((step = find_line (p)) != STEP_OK)
    return step;
  if ((step = new_node (p, SS_IMAP_NODE_STRING, out)) != STEP_OK || *out == NULL)
    return step;
  (*out)->data = g_malloc (size + 1);
  memcpy ((*out)->data, p->buf + data_start, size);
  (*out)->data[size] = '\0';
  (*out)->len = size;
  return STEP_OK;
}

static Step
parse_token (Parser      *p,
             gboolean     in_code,
             SsImapNode **out)
{
  guint8 c = p->buf[p->pos];

  *out = NULL;
  if (c == '"')
    return parse_quoted (p, out);
  if (c == '{' || (c == '~' && p->pos + 1 < p->line_end && p->buf[p->pos + 1] == '{'))
    {
      if (in_code)
        return fail (p, SS_IMAP_PARSE_ERROR_SYNTAX, "Literal in a response code");
      return parse_literal (p, out);
    }
  return parse_atom (p, in_code, TRUE, out);
}

static Step
open_list (Parser      *p,
           GPtrArray   *stack,
           SsImapNode **cur)
{
  SsImapNode *list;
  Step step;

  if (stack->len >= p->limits->max_depth)
    return fail (p, SS_IMAP_PARSE_ERROR_TOO_DEEP,
                 "Lists nested deeper than %u", p->limits->max_depth);
  if ((step = new_node (p, SS_IMAP_NODE_LIST, &list)) != STEP_OK)
    return step;
  node_append (*cur, list);
  g_ptr_array_add (stack, *cur);
  *cur = list;
  p->pos++;
  return STEP_OK;
}

/* Tokens into `top` until the end of the logical line (literals continue it) or, in a response
 * code, until the closing ']'. top is NULL while measuring. */
static Step
parse_tokens (Parser     *p,
              gboolean    in_code,
              SsImapNode *top)
{
  g_autoptr(GPtrArray) stack = g_ptr_array_new ();   /* enclosing lists of cur */
  SsImapNode *cur = top;

  for (;;)
    {
      SsImapNode *node;
      Step step;
      guint8 c;

      skip_spaces (p);
      if (p->pos >= p->line_end)
        {
          if (stack->len > 0 || in_code)
            return fail (p, SS_IMAP_PARSE_ERROR_SYNTAX, "Unterminated list or response code");
          return STEP_OK;
        }

      c = p->buf[p->pos];
      if (c == '(')
        step = open_list (p, stack, &cur);
      else if (c == ')' && stack->len == 0)
        return fail (p, SS_IMAP_PARSE_ERROR_SYNTAX, "Unbalanced ')'");
      else if (c == ')')
        {
          cur = g_ptr_array_steal_index_fast (stack, stack->len - 1);
          p->pos++;
          step = STEP_OK;
        }
      else if (c == ']' && in_code && stack->len == 0)
        {
          p->pos++;
          return STEP_OK;
        }
      else if ((step = parse_token (p, in_code, &node)) == STEP_OK)
        node_append (cur, node);

      if (step != STEP_OK)
        return step;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Responses                                                                                 */

/* Free text up to the end of the line; made valid UTF-8 for display. */
static Step
take_text (Parser  *p,
           char   **out)
{
  gsize start = p->pos;

  if (memchr (p->buf + start, '\0', p->line_end - start) != NULL ||
      memchr (p->buf + start, '\r', p->line_end - start) != NULL)
    return fail (p, SS_IMAP_PARSE_ERROR_SYNTAX, "Control byte in response text");
  if (p->build)
    *out = g_utf8_make_valid ((const char *) p->buf + start, (gssize) (p->line_end - start));
  p->pos = p->next_line;
  return STEP_OK;
}

/* "[" code "]"; a code that does not tokenize stays part of the text. */
static Step
parse_code (Parser          *p,
            SsImapResponse  *resp)
{
  gsize saved_pos = p->pos;
  guint saved_nodes = p->n_nodes;
  g_autoptr(SsImapNode) code = NULL;
  SsImapNode *name = NULL;
  Step step;

  p->pos++;                                       /* '[' */
  if ((step = new_node (p, SS_IMAP_NODE_LIST, &code)) == STEP_OK &&
      (step = parse_atom (p, TRUE, FALSE, &name)) == STEP_OK)
    {
      node_append (code, name);
      step = parse_tokens (p, TRUE, code);
    }

  if (step == STEP_FAILED &&
      g_error_matches (p->error, SS_IMAP_PARSE_ERROR, SS_IMAP_PARSE_ERROR_SYNTAX))
    {
      g_clear_error (&p->error);
      p->pos = saved_pos;
      p->n_nodes = saved_nodes;
      return STEP_OK;
    }
  if (step == STEP_OK)
    resp->code = g_steal_pointer (&code);
  return step;
}

static SsImapStatus
status_from_word (const guint8 *word,
                  gsize         len)
{
  static const struct { const char *name; SsImapStatus status; } words[] = {
    { "OK", SS_IMAP_STATUS_OK },
    { "NO", SS_IMAP_STATUS_NO },
    { "BAD", SS_IMAP_STATUS_BAD },
    { "BYE", SS_IMAP_STATUS_BYE },
    { "PREAUTH", SS_IMAP_STATUS_PREAUTH },
  };

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (strlen (words[i].name) == len &&
        g_ascii_strncasecmp ((const char *) word, words[i].name, len) == 0)
      return words[i].status;
  return SS_IMAP_STATUS_NONE;
}

/* If the next word is a status word, consumes it and returns the status. */
static SsImapStatus
take_status_word (Parser *p)
{
  gsize end = p->pos;
  SsImapStatus status;

  while (end < p->line_end && is_atom_char (p->buf[end], TRUE))
    end++;
  status = status_from_word (p->buf + p->pos, end - p->pos);
  if (status != SS_IMAP_STATUS_NONE)
    p->pos = end;
  return status;
}

/* After the status word: optional [code], then text (possibly empty). */
static Step
parse_status_rest (Parser         *p,
                   SsImapResponse *resp)
{
  Step step;

  skip_spaces (p);
  if (p->pos < p->line_end && p->buf[p->pos] == '[')
    {
      if ((step = parse_code (p, resp)) != STEP_OK)
        return step;
      skip_spaces (p);
    }
  return take_text (p, &resp->text);
}

static Step
parse_untagged (Parser         *p,
                SsImapResponse *resp)
{
  g_autoptr(SsImapNode) tokens = NULL;
  Step step;

  resp->kind = SS_IMAP_RESPONSE_UNTAGGED;
  p->pos = 1;
  if (p->pos >= p->line_end || p->buf[p->pos] != ' ')
    return fail (p, SS_IMAP_PARSE_ERROR_SYNTAX, "Expected a space after '*'");
  skip_spaces (p);
  if (p->pos >= p->line_end)
    return fail (p, SS_IMAP_PARSE_ERROR_SYNTAX, "Empty untagged response");

  resp->status = take_status_word (p);
  if (resp->status != SS_IMAP_STATUS_NONE)
    return parse_status_rest (p, resp);

  if ((step = new_node (p, SS_IMAP_NODE_LIST, &tokens)) != STEP_OK ||
      (step = parse_tokens (p, FALSE, tokens)) != STEP_OK)
    return step;
  resp->tokens = g_steal_pointer (&tokens);
  p->pos = p->next_line;
  return STEP_OK;
}

static Step
parse_tagged (Parser         *p,
              SsImapResponse *resp)
{
  resp->kind = SS_IMAP_RESPONSE_TAGGED;
  while (p->pos < p->line_end && is_tag_char (p->buf[p->pos]))
    p->pos++;
  if (p->pos == 0 || p->pos >= p->line_end || p->buf[p->pos] != ' ')
    return fail (p, SS_IMAP_PARSE_ERROR_SYNTAX, "Malformed tag");
  if (p->build)
    resp->tag = g_strndup ((const char *) p->buf, p->pos);
  skip_spaces (p);

  resp->status = take_status_word (p);
  if (resp->status != SS_IMAP_STATUS_OK && resp->status != SS_IMAP_STATUS_NO &&
      resp->status != SS_IMAP_STATUS_BAD)
    return fail (p, SS_IMAP_PARSE_ERROR_SYNTAX, "Tagged response without OK, NO or BAD");
  return parse_status_rest (p, resp);
}

static Step
parse_continuation (Parser         *p,
                    SsImapResponse *resp)
{
  resp->kind = SS_IMAP_RESPONSE_CONTINUATION;
  p->pos = 1;
  if (p->pos < p->line_end && p->buf[p->pos] == ' ')
    p->pos++;
  return take_text (p, &resp->text);
}

static Step
parse_response (Parser          *p,
                SsImapResponse **out)
{
  g_autoptr(SsImapResponse) resp = g_new0 (SsImapResponse, 1);
  Step step;

  p->pos = 0;
  if ((step = find_line (p)) != STEP_OK)
    return step;

  if (p->buf[0] == '+')
    step = parse_continuation (p, resp);
  else if (p->buf[0] == '*')
    step = parse_untagged (p, resp);
  else
    step = parse_tagged (p, resp);

  if (step == STEP_OK)
    *out = g_steal_pointer (&resp);
  return step;
}

SsImapParseResult
ss_imap_parse_response (const guint8        *buf,
                        gsize                len,
                        const SsImapLimits  *limits,
                        gsize               *consumed,
                        SsImapResponse     **out,
                        GError             **error)
{
  SsImapLimits defaults;
  g_autoptr(SsImapResponse) measured = NULL;
  Parser p = { 0 };
  Step step;

  g_return_val_if_fail (buf != NULL || len == 0, SS_IMAP_PARSE_FAILED);
  g_return_val_if_fail (consumed != NULL, SS_IMAP_PARSE_FAILED);
  g_return_val_if_fail (out != NULL, SS_IMAP_PARSE_FAILED);
  g_return_val_if_fail (error == NULL || *error == NULL, SS_IMAP_PARSE_FAILED);

  *out = NULL;
  *consumed = 0;
  if (limits == NULL)
    {
      ss_imap_limits_init_default (&defaults);
      limits = &defaults;
    }
  if (len == 0)
    {
      *consumed = 1;
      return SS_IMAP_PARSE_INCOMPLETE;
    }

  /* Pass 1: validate and measure. */
  p.buf = buf;
  p.len = len;
  p.limits = limits;
  step = parse_response (&p, &measured);
  if (step == STEP_INCOMPLETE)
    {
      *consumed = p.need;
      return SS_IMAP_PARSE_INCOMPLETE;
    }
  if (step == STEP_FAILED)
    {
      g_propagate_error (error, p.error);
      return SS_IMAP_PARSE_FAILED;
    }

  /* Pass 2: build; the same code on the same bytes, so it succeeds too. */
  p = (Parser) { .buf = buf, .len = len, .limits = limits, .build = TRUE };
  step = parse_response (&p, out);
  if (step != STEP_OK)
    {
      g_critical ("IMAP parser passes disagree");
      g_clear_error (&p.error);
      g_set_error_literal (error, SS_IMAP_PARSE_ERROR, SS_IMAP_PARSE_ERROR_SYNTAX,
                           "Internal parser error");
      return SS_IMAP_PARSE_FAILED;
    }
  *consumed = p.pos;
  return SS_IMAP_PARSE_DONE;
}

/* ---------------------------------------------------------------------------------------- */
/* Helpers over trees                                                                        */

gboolean
ss_imap_node_is_atom (const SsImapNode *node,
                      const char       *ascii_ci)
{
  g_return_val_if_fail (ascii_ci != NULL, FALSE);

  return node != NULL && node->type == SS_IMAP_NODE_ATOM && node->len == strlen (ascii_ci) &&
         g_ascii_strncasecmp (node->data, ascii_ci, node->len) == 0;
}

gboolean
ss_imap_node_to_uint64 (const SsImapNode *node,
                        guint64          *out)
{
  guint64 value = 0;

  if (node == NULL || node->type != SS_IMAP_NODE_ATOM || node->len == 0)
    return FALSE;
  for (gsize i = 0; i < node->len; i++)
    {
      guint d;

      if (!g_ascii_isdigit (node->data[i]))
        return FALSE;
      d = node->data[i] - '0';
      if (value > (G_MAXUINT64 - d) / 10)
        return FALSE;
      value = value * 10 + d;
    }
  if (out != NULL)
    *out = value;
  return TRUE;
}

gboolean
ss_imap_node_to_uint32 (const SsImapNode *node,
                        guint32          *out)
{
  guint64 value;

  if (!ss_imap_node_to_uint64 (node, &value) || value > G_MAXUINT32)
    return FALSE;
  if (out != NULL)
    *out = (guint32) value;
  return TRUE;
}

const SsImapNode *
ss_imap_list_get (const SsImapNode *list,
                  guint             index)
{
  if (list == NULL || list->type != SS_IMAP_NODE_LIST || list->children == NULL ||
      index >= list->children->len)
    return NULL;
  return g_ptr_array_index (list->children, index);
}

guint
ss_imap_list_length (const SsImapNode *list)
{
  if (list == NULL || list->type != SS_IMAP_NODE_LIST || list->children == NULL)
    return 0;
  return list->children->len;
}

const SsImapNode *
ss_imap_fetch_get (const SsImapNode *fetch_list,
                   const char       *name)
{
  guint n = ss_imap_list_length (fetch_list);

  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i + 1 < n; i += 2)
    if (ss_imap_node_is_atom (ss_imap_list_get (fetch_list, i), name))
      return ss_imap_list_get (fetch_list, i + 1);
  return NULL;
}

char *
ss_imap_quote (const char *str)
{
  GString *quoted;

  g_return_val_if_fail (str != NULL, NULL);

  for (const char *s = str; *s != '\0'; s++)
    if ((guint8) *s >= 0x80 || *s == '\r' || *s == '\n')
      return NULL;

  quoted = g_string_sized_new (strlen (str) + 2);
  g_string_append_c (quoted, '"');
  for (const char *s = str; *s != '\0'; s++)
    {
      if (*s == '"' || *s == '\\')
        g_string_append_c (quoted, '\\');
      g_string_append_c (quoted, *s);
    }
  g_string_append_c (quoted, '"');
  return g_string_free (quoted, FALSE);
}

/* ---------------------------------------------------------------------------------------- */
/* Modified UTF-7 (RFC 3501 §5.1.3)                                                          */

static const char utf7_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static gboolean
utf7_direct (gunichar c)
{
  return c >= 0x20 && c <= 0x7e;
}

/* Appends "&<base64 of UTF-16BE>-" for a run of characters that cannot represent themselves. */
static void
utf7_encode_run (GString        *out,
                 const gunichar *run,
                 gsize           n)
{
  guint32 bits = 0;
  guint n_bits = 0;

  g_string_append_c (out, '&');
  for (gsize i = 0; i < n; i++)
    {
      guint16 units[2];
      guint n_units = 1;

      if (run[i] >= 0x10000)
        {
          units[0] = 0xd800 + ((run[i] - 0x10000) >> 10);
          units[1] = 0xdc00 + ((run[i] - 0x10000) & 0x3ff);
          n_units = 2;
        }
      else
        units[0] = (guint16) run[i];

      for (guint u = 0; u < n_units; u++)
        {
          bits = (bits << 16) | units[u];
          n_bits += 16;
          while (n_bits >= 6)
            {
              n_bits -= 6;
              g_string_append_c (out, utf7_alphabet[(bits >> n_bits) & 0x3f]);
            }
          bits &= (1u << n_bits) - 1;
        }
    }
  if (n_bits > 0)
    g_string_append_c (out, utf7_alphabet[(bits << (6 - n_bits)) & 0x3f]);
  g_string_append_c (out, '-');
}

char *
ss_imap_utf7_encode (const char *utf8)
{
  g_autofree gunichar *chars = NULL;
  glong n_chars = 0;
  GString *out;

  g_return_val_if_fail (utf8 != NULL, NULL);

  if (!g_utf8_validate (utf8, -1, NULL))
    return NULL;
  chars = g_utf8_to_ucs4_fast (utf8, -1, &n_chars);

  out = g_string_sized_new (strlen (utf8) + 8);
  for (glong i = 0; i < n_chars;)
    {
      glong run = i;

      if (chars[i] == '&')
        g_string_append (out, "&-");
      else if (utf7_direct (chars[i]))
        g_string_append_c (out, (char) chars[i]);
      else
        {
          while (run < n_chars && !utf7_direct (chars[run]))
            run++;
          utf7_encode_run (out, chars + i, run - i);
          i = run;
          continue;
        }
      i++;
    }
  return g_string_free (out, FALSE);
}

static int
utf7_value (char c)
{
  const char *p = c != '\0' ? strchr (utf7_alphabet, c) : NULL;

  return p != NULL ? (int) (p - utf7_alphabet) : -1;
}

/* Appends one decoded UTF-16 unit, pairing surrogates; FALSE on malformed UTF-16 or a
 * character that must not be base64-encoded. */
static gboolean
utf7_push_unit (GString *out,
                guint16  unit,
                guint32 *high)
{
  gunichar c;

  if (*high != 0)
    {
      if (unit < 0xdc00 || unit > 0xdfff)
        return FALSE;
      c = 0x10000 + ((*high - 0xd800) << 10) + (unit - 0xdc00);
      *high = 0;
    }
  else if (unit >= 0xd800 && unit <= 0xdbff)
    {
      *high = unit;
      return TRUE;
    }
  else if (unit >= 0xdc00 && unit <= 0xdfff)
    return FALSE;
  else
    c = unit;

  if (c == 0 || utf7_direct (c))
    return FALSE;
  g_string_append_unichar (out, c);
  return TRUE;
}

/* Decodes the base64 run starting at *in (after '&') through its '-'. */
static gboolean
utf7_decode_run (const char **in,
                 GString     *out)
{
  const char *s = *in;
  guint32 bits = 0;
  guint n_bits = 0;
  guint32 high = 0;
  int v;

  for (; (v = utf7_value (*s)) >= 0; s++)
    {
      bits = (bits << 6) | (guint32) v;
      n_bits += 6;
      if (n_bits >= 16)
        {
          n_bits -= 16;
          if (!utf7_push_unit (out, (guint16) (bits >> n_bits), &high))
            return FALSE;
          bits &= (1u << n_bits) - 1;
        }
    }
  /* Must end with '-', no dangling surrogate, and only < 6 zero padding bits. */
  if (*s != '-' || s == *in || high != 0 || n_bits >= 6 || bits != 0)
    return FALSE;
  *in = s + 1;
  return TRUE;
}

char *
ss_imap_utf7_decode (const char *mutf7)
{
  g_autoptr(GString) out = NULL;
  const char *s = mutf7;

  g_return_val_if_fail (mutf7 != NULL, NULL);

  out = g_string_sized_new (strlen (mutf7));
  while (*s != '\0')
    {
      if (!utf7_direct ((guchar) *s))
        return NULL;
      if (*s != '&')
        {
          g_string_append_c (out, *s++);
          continue;
        }
      s++;
      if (*s == '-')
        {
          g_string_append_c (out, '&');
          s++;
        }
      else if (!utf7_decode_run (&s, out))
        return NULL;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
