/* ss-verdict-actions.c: shows the mark button the verdict allows and turns a click into
 * app.mark-ham / app.mark-spam with the verdict's key; nothing else. */
#define G_LOG_DOMAIN "ss-verdict-actions"

#include "config.h"

#include "ss-verdict-actions.h"

struct _SsVerdictActions
{
  GtkWidget      parent_instance;

  SsVerdict     *verdict;
  GBindingGroup *bindings;
  GtkWidget     *box;
  GtkWidget     *ham_button;
  GtkWidget     *spam_button;
  GtkWidget     *spinner;
};

G_DEFINE_FINAL_TYPE (SsVerdictActions, ss_verdict_actions, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_VERDICT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mark (SsVerdictActions *self,
      const char       *action)
{
  g_autofree char *key = NULL;

  if (self->verdict == NULL)
    return;
  key = ss_verdict_dup_key (self->verdict);
  gtk_widget_activate_action (GTK_WIDGET (self), action, "s", key);
}

static void
on_ham_clicked (SsVerdictActions *self)
{
  mark (self, "app.mark-ham");
}

static void
on_spam_clicked (SsVerdictActions *self)
{
  mark (self, "app.mark-spam");
}

static void
ss_verdict_actions_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  SsVerdictActions *self = SS_VERDICT_ACTIONS (object);

  switch (prop_id)
    {
    case PROP_VERDICT: g_value_set_object (value, self->verdict); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_verdict_actions_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  SsVerdictActions *self = SS_VERDICT_ACTIONS (object);

  switch (prop_id)
    {
    case PROP_VERDICT: ss_verdict_actions_set_verdict (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_verdict_actions_dispose (GObject *object)
{
  SsVerdictActions *self = SS_VERDICT_ACTIONS (object);

  if (self->bindings != NULL)
    g_binding_group_set_source (self->bindings, NULL);
  g_clear_object (&self->bindings);
  g_clear_object (&self->verdict);
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_VERDICT_ACTIONS);
  G_OBJECT_CLASS (ss_verdict_actions_parent_class)->dispose (object);
}

static void
ss_verdict_actions_class_init (SsVerdictActionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ss_verdict_actions_get_property;
  object_class->set_property = ss_verdict_actions_set_property;
  object_class->dispose = ss_verdict_actions_dispose;

  properties[PROP_VERDICT] = g_param_spec_object ("verdict", NULL, NULL, SS_TYPE_VERDICT,
                                                  G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                  G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/example/SpamSieve/ui/ss-verdict-actions.ui");
  gtk_widget_class_bind_template_child (widget_class, SsVerdictActions, box);
  gtk_widget_class_bind_template_child (widget_class, SsVerdictActions, ham_button);
  gtk_widget_class_bind_template_child (widget_class, SsVerdictActions, spam_button);
  gtk_widget_class_bind_template_child (widget_class, SsVerdictActions, spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_ham_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_spam_clicked);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_verdict_actions_init (SsVerdictActions *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->bindings = g_binding_group_new ();
  g_binding_group_bind (self->bindings, "can-mark-ham", self->ham_button, "visible",
                        G_BINDING_SYNC_CREATE);
  g_binding_group_bind (self->bindings, "can-mark-spam", self->spam_button, "visible",
                        G_BINDING_SYNC_CREATE);
  g_binding_group_bind (self->bindings, "busy", self->spinner, "visible",
                        G_BINDING_SYNC_CREATE);
  g_binding_group_bind (self->bindings, "busy", self->spinner, "spinning",
                        G_BINDING_SYNC_CREATE);
}

SsVerdict *
ss_verdict_actions_get_verdict (SsVerdictActions *self)
{
  g_return_val_if_fail (SS_IS_VERDICT_ACTIONS (self), NULL);
  return self->verdict;
}

void
ss_verdict_actions_set_verdict (SsVerdictActions *self,
                                SsVerdict        *verdict)
{
  g_return_if_fail (SS_IS_VERDICT_ACTIONS (self));

  if (!g_set_object (&self->verdict, verdict))
    return;
  g_binding_group_set_source (self->bindings, verdict);
  if (verdict == NULL)
    {
      gtk_widget_set_visible (self->ham_button, FALSE);
      gtk_widget_set_visible (self->spam_button, FALSE);
      gtk_widget_set_visible (self->spinner, FALSE);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERDICT]);
}
