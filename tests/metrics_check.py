"""metrics_check.py FILE — recompute deepc's metrics with scikit-learn on the
same predictions and compare (tolerance 1e-6; values were stored as float32)."""
import sys
import warnings

import numpy as np
from sklearn import metrics as M

from st_read import read

warnings.simplefilter("ignore")
T, _ = read(sys.argv[1])
passed = failed = 0


def close(name, ours, ref, tol=2e-6):
    global passed, failed
    ours, ref = np.asarray(ours, dtype=np.float64).ravel(), np.asarray(ref, dtype=np.float64).ravel()
    if ours.shape == ref.shape and np.allclose(ours, ref, rtol=tol, atol=tol):
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}\n  deepc   {ours[:8]}\n  sklearn {ref[:8]}")


for case in ("multiclass", "noisy3", "binary_softmax", "binary_sigmoid"):
    p = T[f"{case}.probs"].astype(np.float64)
    y = T[f"{case}.labels"].astype(int)
    probs2 = np.stack([1 - p, p], 1) if p.ndim == 1 else p
    C = probs2.shape[1]
    pred = probs2.argmax(1)
    labels = list(range(C))
    s = T[f"{case}.scalars"]
    close(f"{case} accuracy", s[0], M.accuracy_score(y, pred))
    # k >= number of classes makes every prediction a top-k hit (sklearn warns and returns 1)
    close(f"{case} top-3 accuracy", s[1], M.top_k_accuracy_score(y, probs2, k=3, labels=labels) if C > 3 else 1.0)
    for i, avg in enumerate(("macro", "micro", "weighted")):
        pr, rc, f1, _ = M.precision_recall_fscore_support(y, pred, average=avg, labels=labels, zero_division=0)
        close(f"{case} {avg} precision", s[2 + 3 * i], pr)
        close(f"{case} {avg} recall", s[3 + 3 * i], rc)
        close(f"{case} {avg} f1", s[4 + 3 * i], f1)
    pr, rc, f1, _ = M.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    close(f"{case} per-class precision", T[f"{case}.precision"], pr)
    close(f"{case} per-class recall", T[f"{case}.recall"], rc)
    close(f"{case} per-class f1", T[f"{case}.f1"], f1)
    close(f"{case} confusion matrix", T[f"{case}.confusion"], M.confusion_matrix(y, pred, labels=labels))
    auc = M.roc_auc_score(y, probs2[:, 1]) if C == 2 else M.roc_auc_score(y, probs2, multi_class="ovr", average="macro")
    close(f"{case} AUC", s[11], auc)
    close(f"{case} log loss", s[12], M.log_loss(y, probs2, labels=labels), tol=1e-5)
    if C == 2:
        fpr, tpr, _ = M.roc_curve(y, probs2[:, 1], drop_intermediate=False)
        close(f"{case} ROC fpr", T[f"{case}.fpr"], fpr)
        close(f"{case} ROC tpr", T[f"{case}.tpr"], tpr)

pred, tgt, s = T["regression.pred"], T["regression.target"], T["regression.scalars"]
close("MSE", s[0], M.mean_squared_error(tgt, pred), tol=1e-5)
close("MAE", s[1], M.mean_absolute_error(tgt, pred), tol=1e-5)
close("R2", s[2], M.r2_score(tgt, pred), tol=1e-5)
print(f"metrics: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
