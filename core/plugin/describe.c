/*
 * describe.c -- plugin descriptors as JSON.
 */
#include <stddef.h>
#include <stdio.h>

#include "plugin/describe.h"
#include "plugin/indicator.h"
#include "plugin/params.h"
#include "plugin/plugin.h"

static cJSON *
describe_param(const struct qd_param_spec *s)
{
	cJSON *o = cJSON_CreateObject();
	size_t i;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "type", params_type_name(s->type));
	if (!(s->flags & QD_PARAM_REQUIRED)) {
		switch (s->type) {
		case QD_PARAM_INT:
			cJSON_AddNumberToObject(o, "default", (double)s->def_int);
			break;
		case QD_PARAM_DOUBLE:
			cJSON_AddNumberToObject(o, "default", s->def_double);
			break;
		case QD_PARAM_BOOL:
			cJSON_AddBoolToObject(o, "default", s->def_int != 0);
			break;
		default:
			cJSON_AddStringToObject(o, "default",
				(s->flags & QD_PARAM_SECRET) ? "***" :
				s->def_string ? s->def_string : "");
		}
	}
	if (s->flags & QD_PARAM_HAS_MIN)
		cJSON_AddNumberToObject(o, "min", s->min);
	if (s->flags & QD_PARAM_HAS_MAX)
		cJSON_AddNumberToObject(o, "max", s->max);
	if (s->type == QD_PARAM_ENUM) {
		cJSON *c = cJSON_AddArrayToObject(o, "choices");

		for (i = 0; c && s->choices && s->choices[i]; i++)
			cJSON_AddItemToArray(c,
				cJSON_CreateString(s->choices[i]));
	}
	cJSON_AddBoolToObject(o, "required",
		(s->flags & QD_PARAM_REQUIRED) != 0);
	if (s->flags & QD_PARAM_SECRET)
		cJSON_AddBoolToObject(o, "secret", 1);
	cJSON_AddStringToObject(o, "description",
		s->description ? s->description : "");
	return o;
}

cJSON *
describe_plugin(const struct plugin *p, int with_params)
{
	const struct qd_plugin *d = plugin_desc(p);
	cJSON *o = cJSON_CreateObject(), *a;
	char abi[32];
	size_t i;

	if (o == NULL)
		return NULL;
	snprintf(abi, sizeof(abi), "%u.%u", plugin_abi_major(p),
		plugin_abi_minor(p));
	cJSON_AddStringToObject(o, "name", d->name);
	cJSON_AddStringToObject(o, "kind", plugin_kind_name(d->kind));
	cJSON_AddStringToObject(o, "version", d->version);
	cJSON_AddStringToObject(o, "abi", abi);
	cJSON_AddStringToObject(o, "file", plugin_file(p));
	cJSON_AddStringToObject(o, "description",
		d->description ? d->description : "");
	cJSON_AddStringToObject(o, "license", d->license ? d->license : "");
	a = cJSON_AddArrayToObject(o, "requires");
	for (i = 0; a && d->requires && d->requires[i]; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(d->requires[i]));
	if (d->kind == QD_KIND_INDICATOR) {
		const struct qd_indicator_ops *io = d->ops;

		int any = 0;

		a = cJSON_AddArrayToObject(o, "outputs");
		for (i = 0; a && i < io->n_outputs; i++)
			cJSON_AddItemToArray(a,
				cJSON_CreateString(io->outputs[i]));
		/* Where each output is drawn; the indicator is an overlay
		 * when one of them goes over the candles. */
		a = cJSON_AddArrayToObject(o, "placement");
		for (i = 0; a && i < io->n_outputs; i++) {
			int price = indicator_output_on_price(io, (uint32_t)i);

			any |= price;
			cJSON_AddItemToArray(a,
				cJSON_CreateString(price ? "price" : "pane"));
		}
		cJSON_AddBoolToObject(o, "overlay", any);
	}
	if (with_params) {
		a = cJSON_AddArrayToObject(o, "params");
		for (i = 0; a && i < d->n_params; i++)
			cJSON_AddItemToArray(a, describe_param(&d->params[i]));
	}
	return o;
}

cJSON *
describe_refusal(const struct plugin_refusal *f)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "file", f->file);
	if (f->name)
		cJSON_AddStringToObject(o, "name", f->name);
	else
		cJSON_AddNullToObject(o, "name");
	cJSON_AddStringToObject(o, "reason", f->reason);
	return o;
}
