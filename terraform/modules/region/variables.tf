variable "name" {
  description = "The platform region's name: the name of its folder in regions/ (eu-west, us-east...). It names the resources, tags them, and is the CockroachDB locality (--locality=region=<name>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2,}(-[a-z]+)+$", var.name)) && length(var.name) <= 20
    error_message = "name must be a region folder name such as \"eu-west\": lowercase words joined by hyphens, at most 20 characters."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name, so that several platforms can share an account."
  type        = string
  default     = "shop"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.name_prefix))
    error_message = "name_prefix must be 2-12 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "regions_dir" {
  description = "Path of the repository's regions/ folder. When set, regions/<name>/region.toml must exist and its id must equal name, and the edges' failover order follows its `failover` list. Null skips the check (the failover order is then that of `peers`)."
  type        = string
  default     = null
}

variable "vpc_cidr" {
  description = "The region's VPC range, a /16 to /18. It is split into 16 equal blocks: the first holds the three public subnets, then three each for edges, cores and database nodes. Must not overlap another region's."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 18, false)
    error_message = "vpc_cidr must be an IPv4 CIDR block from /16 to /18, for example 10.10.0.0/16."
  }
}

variable "availability_zones" {
  description = "The three zones to use, by name. Null: the AWS region's zones a, b and c."
  type        = list(string)
  default     = null

  validation {
    condition     = var.availability_zones == null || (length(coalesce(var.availability_zones, [])) == 3 && length(distinct(coalesce(var.availability_zones, []))) == 3)
    error_message = "availability_zones must name three distinct zones."
  }
}

variable "peers" {
  description = "The other regions of the platform, as their `summary` outputs: their cores' load balancer (the edges' failover and home-region writes), their networks (security group rules) and their database nodes (the CockroachDB join list)."
  type = list(object({
    name           = string
    aws_region     = string
    vpc_cidr       = string
    edge_cidrs     = list(string)
    core_cidrs     = list(string)
    database_cidrs = list(string)
    database_join  = list(string)
    core_endpoint  = string
  }))
  default = []

  validation {
    condition     = !contains([for p in var.peers : p.name], var.name)
    error_message = "peers must not contain the region itself."
  }

  validation {
    condition     = length(distinct([for p in var.peers : p.name])) == length(var.peers)
    error_message = "peers must name each region once."
  }

  validation {
    condition     = !contains([for p in var.peers : p.vpc_cidr], var.vpc_cidr)
    error_message = "peers must not use this region's vpc_cidr: every region needs its own range for the links between regions."
  }
}

variable "core_network" {
  description = "The Cloud WAN core network of the global module (id and ARN). The region attaches its VPC to it and routes the other regions' ranges through it. Null leaves the region unlinked (a single-region example)."
  type = object({
    id  = string
    arn = string
  })
  default = null
}

variable "release" {
  description = "The platform release to run: instances boot the machine image named <image_name>-<release>-arm64. Changing it rolls the edges and cores out by instance refresh."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.]+)?$", var.release))
    error_message = "release must be a semantic version such as 1.4.0 or 1.4.0-rc.1."
  }
}

variable "image_name" {
  description = "Name prefix of the platform's machine images (arm64, carrying the edge, core and CockroachDB binaries and their systemd units)."
  type        = string
  default     = "shop-platform"
}

variable "image_owners" {
  description = "Accounts whose images may be used: the account that builds the platform's images."
  type        = list(string)
  default     = ["self"]

  validation {
    condition     = length(var.image_owners) > 0 && alltrue([for o in var.image_owners : o == "self" || can(regex("^[0-9]{12}$", o))])
    error_message = "image_owners must list \"self\" or 12-digit account ids."
  }
}

variable "edge" {
  description = "Edge tier: instance type and auto-scaling bounds. Defaults from docs/capacity.md: a region's promotion-day peak with a failed region's traffic added fits on two of three m7g.large."
  type = object({
    instance_type    = optional(string, "m7g.large")
    min_size         = optional(number, 3)
    desired_capacity = optional(number, 3)
    max_size         = optional(number, 12)
    volume_size_gib  = optional(number, 20)
    cpu_target       = optional(number, 50)
  })
  default = {}

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[0-9]*[a-z]+$", var.edge.instance_type))
    error_message = "edge.instance_type must be an EC2 instance type such as m7g.large."
  }

  validation {
    condition     = var.edge.min_size >= 3 && var.edge.min_size <= var.edge.desired_capacity && var.edge.desired_capacity <= var.edge.max_size
    error_message = "edge sizes must satisfy 3 <= min_size <= desired_capacity <= max_size (at least one edge per zone)."
  }

  validation {
    condition     = var.edge.cpu_target >= 20 && var.edge.cpu_target <= 80
    error_message = "edge.cpu_target (the auto-scaling CPU target, %) must be between 20 and 80."
  }
}

variable "core" {
  description = "Core tier: instance type and auto-scaling bounds. Defaults from docs/capacity.md: the uncached share of a promotion-day peak, with a failed region's traffic added, on two of three m7g.xlarge."
  type = object({
    instance_type    = optional(string, "m7g.xlarge")
    min_size         = optional(number, 3)
    desired_capacity = optional(number, 3)
    max_size         = optional(number, 12)
    volume_size_gib  = optional(number, 20)
    cpu_target       = optional(number, 50)
  })
  default = {}

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[0-9]*[a-z]+$", var.core.instance_type))
    error_message = "core.instance_type must be an EC2 instance type such as m7g.xlarge."
  }

  validation {
    condition     = var.core.min_size >= 3 && var.core.min_size <= var.core.desired_capacity && var.core.desired_capacity <= var.core.max_size
    error_message = "core sizes must satisfy 3 <= min_size <= desired_capacity <= max_size (at least one core per zone)."
  }

  validation {
    condition     = var.core.cpu_target >= 20 && var.core.cpu_target <= 80
    error_message = "core.cpu_target (the auto-scaling CPU target, %) must be between 20 and 80."
  }
}

variable "database" {
  description = "CockroachDB nodes of the region: nodes_per_zone in each of the three zones, each with its own encrypted data volume. Defaults: m7g.2xlarge (8 vCPU, 32 GiB: CockroachDB advises 8-16 vCPU and 4 GiB per vCPU), one node per zone."
  type = object({
    instance_type     = optional(string, "m7g.2xlarge")
    nodes_per_zone    = optional(number, 1)
    volume_size_gib   = optional(number, 500)
    volume_iops       = optional(number, 6000)
    volume_throughput = optional(number, 250)
  })
  default = {}

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[0-9]*x?large$", var.database.instance_type)) && !can(regex("\\.large$", var.database.instance_type))
    error_message = "database.instance_type must have at least 4 vCPU (xlarge or bigger): CockroachDB's minimum."
  }

  validation {
    condition     = contains([1, 2, 3], var.database.nodes_per_zone)
    error_message = "database.nodes_per_zone must be 1, 2 or 3 (so 3, 6 or 9 nodes, spread evenly over the zones)."
  }

  validation {
    condition     = var.database.volume_size_gib >= 100 && var.database.volume_size_gib <= 16384
    error_message = "database.volume_size_gib must be between 100 and 16384."
  }

  validation {
    condition     = var.database.volume_iops >= 3000 && var.database.volume_iops <= 16000 && var.database.volume_throughput >= 125 && var.database.volume_throughput <= 1000
    error_message = "database.volume_iops must be 3000-16000 and volume_throughput 125-1000 MiB/s (gp3 limits)."
  }
}

variable "min_healthy_percentage" {
  description = "Share of an auto-scaling group that stays in service during an instance refresh (a rollout)."
  type        = number
  default     = 90

  validation {
    condition     = var.min_healthy_percentage >= 50 && var.min_healthy_percentage <= 100
    error_message = "min_healthy_percentage must be between 50 and 100."
  }
}

variable "log_retention_days" {
  description = "How long CloudWatch keeps the region's logs (processes and VPC flow logs). PCI DSS 10.5.1: at least 12 months."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be at least 365 (PCI DSS 10.5.1) and one of CloudWatch's values: 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "backup_retention_days" {
  description = "Days an overwritten or deleted backup object is kept (noncurrent versions) in the backups bucket."
  type        = number
  default     = 90

  validation {
    condition     = var.backup_retention_days >= 30 && var.backup_retention_days <= 3653
    error_message = "backup_retention_days must be between 30 and 3653."
  }
}

variable "deletion_protection" {
  description = "Protect the load balancers and database instances against deletion. Turn off only to tear a region down."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource (besides Platform, PlatformRegion and ManagedBy, which the module sets)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.tags) : !startswith(lower(k), "aws:")])
    error_message = "tags must not use the reserved aws: prefix."
  }
}
