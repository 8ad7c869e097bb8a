/* cli_export.c — deepc export MODEL --format onnx --out FILE [--opset N]:
 * the model as an ONNX graph (dc_model_export_onnx); deepc export MODEL
 * --format safetensors --weights-only --out FILE [--names torch]: a
 * model's weights alone, for PyTorch and other tools
 * (dc_model_export_weights); deepc export MODEL --format c --out FILE.c
 * [--prefix P]: one C99 file and its header (dc_model_export_c). */
#include "cli_data.h"
#include "cli_outputs.h"
#include "cli_util.h"
#include <stdio.h>
#include <string.h>

static int export_onnx(const cli_args *a) {
    if (cli_check_output("--out", a->out, CLI_OUT_MODEL, a->force, NULL)) return 1;
    dc_model *m = dc_model_load(a->target);
    if (!m) return cli_fail("cannot load the model");
    int rc = dc_model_export_onnx(m, a->out, (int)a->opset) ? cli_fail("cannot export") : 0;
    if (!rc && a->json) {
        printf("{\"command\":\"export\",\"format\":\"onnx\",\"opset\":%ld,\"out\":", a->opset ? a->opset : 17);
        cli_json_string(stdout, a->out);
        printf("}\n");
    } else if (!rc && !a->quiet) {
        printf("%s: %s as ONNX (opset %ld; input \"input\", output \"output\", batch dimension symbolic)\n", a->out, a->target,
               a->opset ? a->opset : 17);
    }
    dc_model_free(m);
    return rc;
}

static int export_c(const cli_args *a) {
    if (cli_check_output("--out", a->out, CLI_OUT_MODEL, a->force, NULL)) return 1;
    dc_model *m = dc_model_load(a->target);
    if (!m) return cli_fail("cannot load the model");
    int rc = dc_model_export_c(m, a->out, a->prefix) ? cli_fail("cannot export") : 0;
    if (!rc && a->json) {
        printf("{\"command\":\"export\",\"format\":\"c\",\"out\":");
        cli_json_string(stdout, a->out);
        printf("}\n");
    } else if (!rc && !a->quiet) {
        printf("%s: %s as C99 (and its header beside it: %s_predict)\n", a->out, a->target, a->prefix ? a->prefix : "model");
    }
    dc_model_free(m);
    return rc;
}

int cli_export(const cli_args *a) {
    if (!a->target || !a->out) {
        dc_set_error_cli("export needs a MODEL and --out FILE (deepc export --help)");
        cli_fail("usage"); /* with --json, a JSON error too, as need() gives the other commands */
        return 2;
    }
    const char *fmt = a->format ? a->format : "safetensors";
    if (!strcmp(fmt, "onnx")) return export_onnx(a);
    if (!strcmp(fmt, "c")) return export_c(a);
    if (strcmp(fmt, "safetensors")) {
        dc_set_error_cli("--format %s: deepc exports onnx, c, or safetensors weights (--weights-only)", fmt);
        return cli_fail("cannot export");
    }
    if (!a->weights_only) {
        dc_set_error_cli("--format safetensors writes the weights alone: add --weights-only (the model file itself is already "
                         "safetensors, with its description and training state)");
        return cli_fail("cannot export");
    }
    int torch = 0;
    if (a->names && !(torch = !strcmp(a->names, "torch")) && strcmp(a->names, "deepc")) {
        dc_set_error_cli("--names %s: deepc (its layer names) or torch (a torch.nn.Sequential's module indices)", a->names);
        return cli_fail("cannot export");
    }
    if (cli_check_output("--out", a->out, CLI_OUT_MODEL, a->force, NULL)) return 1;
    dc_model *m = dc_model_load(a->target);
    if (!m) return cli_fail("cannot load the model");
    int rc = dc_model_export_weights(m, a->out, torch) ? cli_fail("cannot export") : 0;
    if (!rc && a->json) {
        printf("{\"command\":\"export\",\"out\":");
        cli_json_string(stdout, a->out);
        printf(",\"names\":\"%s\"}\n", torch ? "torch" : "deepc");
    } else if (!rc && !a->quiet) {
        printf("%s: the weights of %s (%s names)\n", a->out, a->target, torch ? "torch.nn.Sequential" : "deepc's");
    }
    dc_model_free(m);
    return rc;
}
