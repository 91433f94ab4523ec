"""The CDNOW reference analysis: the 2,357-customer sample, the 39 + 39-week split, published parameters.

Fader, Hardie & Lee (2005) fit BG/NBD, and later the Gamma-Gamma spend model, on a 1/10 systematic
sample of the 23,570 customers who made their first CDNOW purchase in the first quarter of 1997. The
sample is not a rule on the master file's customer ids (not ids = k mod 10, nor every 10th customer in
order of first purchase): the systematic draw was made on an ordering the public file does not carry.
It is known only as a list: ``CDNOW_sample.txt`` of the MIT-licensed ``lifetimes`` package (and of
brucehardie.com) gives, for each of its 6,919 rows, the master-file id next to the sample's own id
1..2357, and its rows are exactly the master file's rows for those ids. The list is kept here, encoded
compactly, so that the sample can be rebuilt from ``CDNOW_master.txt`` without ``lifetimes``: ids in
increasing order, each written as the gap from the previous one (all between 1 and 32) in one base-32
digit, gap - 1 = int(digit, 32). The sample's own id n is the n-th customer in order of first purchase
day, then master id (see :func:`cdnow_sample_ids`).

Calibration: weeks 1-39 of 1997, i.e. purchases up to and including 1997-09-30, so the cutoff (the
first instant not observed) is 1997-10-01; T runs to 1997-09-30 (38.86 weeks for a 1997-01-01 buyer).
Holdout: weeks 40-78, 1997-10-01 to 1998-06-30, i.e. 273 days from the cutoff. On this sample, our
summary gives the published x, t_x, T for every customer, and mean repeat spends that differ from the
published ``zbar`` only by the rounding to cents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CALIBRATION_CUTOFF = pd.Timestamp("1997-10-01")
HOLDOUT_HORIZON = pd.Timedelta(days=273)  # 39 weeks: 1997-10-01 .. 1998-06-30
TIME_UNIT = "W"

SAMPLE_SIZE = 2_357
COHORT_SIZE = 23_570

# Fader, Hardie & Lee (2005), "Counting your customers the easy way", section 5 (log-likelihood
# -9582.4), on the sample with time in weeks.
PUBLISHED_BGNBD: dict[str, float] = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_BGNBD_LOG_LIKELIHOOD = -9582.4
# Fader, Hardie & Lee (2005), "RFM and CLV", on the sample's 946 repeat buyers' mean repeat spend.
PUBLISHED_GAMMA_GAMMA: dict[str, float] = {"p": 6.25, "q": 3.74, "gamma": 15.44}
PUBLISHED_GAMMA_GAMMA_CUSTOMERS = 946

_SAMPLE_ID_GAPS = (
    "3d2s9aeo000g1he0dg9c4158c4jfe1i782dkjg3a0vd1cddbf31g2r61e8aibffgi03c1485kh1k0g5hd4haafem1j0ebhi1661d"
    "i786dkdg090ce2736e4a96eb2c16e247cgg2f4d9b3f06e1a8c43386751030g986e55a2412j8gf2a5cic20da8fbed5dof23h0"
    "e46214heii0c302a36aih1e4ob40n1f907k7e291d6df0bf3856453c5cejjffbfj773k31a960h5977ge0fb64d23hh3224461a"
    "5cfa19235l3i047a0d1ji3j5ia0b053a7bk1bb2b9c316f1h803876ja183832da1eh8384fdlgbi0ia3903dek1ea80dha944h3"
    "7dhfc3g25437agi41bi4aglff10k657if8438e0f2ie38bh8bijg737ed4843fhdf0dgc5m2271b2d5bd1214911c3ig3b16624c"
    "511b8680h04gf2l41d4jf1b85g11g5f3b4623d5d2fke741c54695dkg57k3g3f1hf1b04c925am12n2k88dee4142302e21ddid"
    "2069ehb8di979282670fbajfhegd2gfe2707h3ho2a3fe694b6631f6d98d7e4l48fdga83feb3qkf1j15a95em5d5c2kbf951f3"
    "2c29kl8177175b353h5645becfc2b31a7962r5781e33650b66a14gfb032f3ka67d4bhadc0f2ff89i77e4ai7861ad5182ekab"
    "667i6c0gkf4ain7dfkdb0056dil78igkcdd2a9d05cf1e31daa3hb0i864er9b7650h1f5eb6ej30mdea11d5b66ec6b84e2a4g4"
    "hfca4a5fhel416ke368639e11eae3cn4ccl0ada5349g3de0c31iha3n0jfge2bl2af6ge03b508e487774260a4e65d1ehk6832"
    "g3a5993a75a0ea32b736792bi2d232c4cd02hcghg165m1754885b8g5ag680g67ggchebicgch3bdg1b30fa4cbj3c2fh232ab1"
    "2e2gflohd5c43c0hibc42f64656155ea6a51hd7257fhf16hd20g3e8152c5d59a501404fid692048b3drja4gcml2d78fl5cng"
    "455c3a00hh0gb3gke3h1aj140a101h3428dcge662c7c8dkcb1hgcdcfb7ed561aj5cged5ahb3376d1fn445b034a77ei4cafe1"
    "7444d04c0779845dh3970dm3j9778366e2a4b443717893h370e3h8bb738hf10biefi2708692bc6e7781fecbde20e6d01c4a7"
    "ga677f4592i30h0igd5ii12a0jf97gi00faacc27af0j01eheb00f0i85d06gkhecc0d04372id0666403276348h7150a04e2ag"
    "9aggcbelg20a20ge286ia4hn1chga5f0c4efk6abd6ag07ae10d2lb61eo19a2cm8gf96ee01a2a3694ecj93a0g45a12ibc102e"
    "453fhdcg0fe1b3g3ie79dai88ghbb60d19421ia22kfee0b13d03g3f663hdd874d503ddd1efjdhfha8a30eeg8a68ba8b58hgd"
    "0c856bd314df5fd537321b4ceecbk0hdfg665coei9d0c794jb03ff349cfa4iaf4gf267hic92baa468a04ie196l762qe53e04"
    "124216182d38ji2be0g3ae1a52db63gkf2be20bfdf59hg58hdigbb3526e5b45bje885b9i375066g3c7de0hf6e04d1c1dc7gk"
    "e3h60a4c334h2lh37e8cg2e3af87b4b67cd0e1hb33c3a872h89ebg2g48h3c2fme1cdfk31h2dcbcahd41401317b9dffhfac8h"
    "gn7640c22394ccacd3fffddfee439f95e01gdd2ahkc6c1hg98f8abgb408181g6c3i1ibd67b0ka2bbchfd529b16013dc6bb4e"
    "1e2b92565a2653a518d0h1hcc51acdg9f35h39gjma2he0c2d1c1c671ccd15251j3a0fdihf16am2l281673fc87934b166jfc7"
    "365ebh1b90c901g1ehdd78age40ad2dk00cbjdhef5d06978ec00fcdeecb72dgoc9596d86fbfhd7iga3aia42728fc2lcf84d4"
    "28c36c203613k10977b1ffdbcb1cbh405c953d418e10f2c1501ddd21c"
)


def cdnow_sample_ids() -> list[str]:
    """The master-file ids of the 2,357 sample customers, in increasing order, written as
    :func:`features.importers.cdnow.read_cdnow` writes them ("00004")."""
    ids = np.cumsum([int(digit, 32) + 1 for digit in "".join(_SAMPLE_ID_GAPS)])
    return [f"{int(i):05d}" for i in ids]
