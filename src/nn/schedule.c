/* schedule.c — learning-rate schedules, stepped once per epoch, matching
 * torch.optim.lr_scheduler (StepLR, MultiStepLR, ExponentialLR,
 * CosineAnnealingLR, CosineAnnealingWarmRestarts, ReduceLROnPlateau, and
 * LinearLR warmup chained by SequentialLR). */
#include "../core/internal.h"
#include <math.h>

dc_schedule dc_schedule_default(dc_sched_kind kind) {
    dc_schedule s = {.kind = kind, .step_size = 10, .gamma = 0.1f, .t_max = 0, .t_0 = 10, .t_mult = 1,
                     .factor = 0.1f, .patience = 10, .threshold = 1e-4f, .warmup_start = 1.0f / 3.0f};
    if (kind == DC_SCHED_EXPONENTIAL) s.gamma = 0.95f;
    return s;
}

/* lr of the main schedule at epoch e (counted from the end of warmup) */
static double main_lr(const dc_schedule *s, double lr0, int e) {
    switch (s->kind) {
    case DC_SCHED_STEP: return lr0 * pow((double)s->gamma, (double)(e / (s->step_size > 0 ? s->step_size : 1)));
    case DC_SCHED_MULTISTEP: {
        int passed = 0;
        for (int i = 0; i < s->nmilestones; i++) passed += e >= s->milestones[i];
        return lr0 * pow((double)s->gamma, (double)passed);
    }
    case DC_SCHED_EXPONENTIAL: return lr0 * pow((double)s->gamma, (double)e);
    case DC_SCHED_COSINE: {
        int T = s->t_max > 0 ? s->t_max : 1;
        return s->eta_min + (lr0 - s->eta_min) * (1.0 + cos(M_PI * (double)e / (double)T)) / 2.0;
    }
    case DC_SCHED_COSINE_RESTARTS: {
        /* as torch steps it: T_cur += 1; at T_i restart with T_i *= T_mult */
        long tcur = 0, ti = s->t_0 > 0 ? s->t_0 : 1;
        for (int k = 0; k < e; k++) {
            if (++tcur >= ti) {
                tcur -= ti;
                ti *= s->t_mult > 0 ? s->t_mult : 1;
            }
        }
        return s->eta_min + (lr0 - s->eta_min) * (1.0 + cos(M_PI * (double)tcur / (double)ti)) / 2.0;
    }
    default: return lr0;
    }
}

static double warm_or_main(const dc_schedule *s, double lr0, int e) {
    if (s->warmup > 0 && e < s->warmup)
        return lr0 * (s->warmup_start + (1.0 - s->warmup_start) * (double)e / (double)s->warmup);
    return main_lr(s, lr0, e - (s->warmup > 0 ? s->warmup : 0));
}

dc_schedule_state dc_schedule_start(const dc_schedule *s, float lr0) {
    dc_schedule_state st = {.lr = (float)warm_or_main(s, lr0, 0), .best = s->mode_max ? -INFINITY : INFINITY};
    return st;
}

float dc_schedule_step(const dc_schedule *s, dc_schedule_state *st, float lr0, double metric) {
    st->epoch++;
    if (s->kind != DC_SCHED_PLATEAU || (s->warmup > 0 && st->epoch <= s->warmup)) {
        st->lr = (float)warm_or_main(s, lr0, st->epoch); /* plateau while warming up: lr0 at the end */
        return st->lr;
    }
    /* ReduceLROnPlateau, threshold_mode "rel" */
    int better = s->mode_max ? metric > st->best * (1.0 + s->threshold) : metric < st->best * (1.0 - s->threshold);
    if (better) {
        st->best = metric;
        st->num_bad = 0;
    } else {
        st->num_bad++;
    }
    if (st->cooldown_left > 0) {
        st->cooldown_left--;
        st->num_bad = 0;
    }
    if (st->num_bad > s->patience) {
        float nl = st->lr * s->factor;
        if (nl < s->min_lr) nl = s->min_lr;
        if (st->lr - nl > 1e-8f) st->lr = nl;
        st->cooldown_left = s->cooldown;
        st->num_bad = 0;
    }
    return st->lr;
}
